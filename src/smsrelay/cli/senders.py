"""Operator commands of sender-name moderation (names clients file with X6 and read with X5).

smsrelay sender approve LOGIN NAME
smsrelay sender reject LOGIN NAME --comment TEXT
smsrelay sender list [LOGIN]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..services.senders import SenderError, SenderListing, SenderRegistry
from ..store.files import SqlFileStore
from ..store.sender_registrations import SqlSenderRegistrationStore
from .admin import sender
from .main import _db_option, run, settings_from

T = TypeVar("T")


def _with_registry(database: str | None, fn: Callable[[SenderRegistry], Awaitable[T]]) -> T:
    settings = settings_from(database)

    async def go() -> T:
        stores = await open_stores(settings)
        try:
            registry = SenderRegistry(
                SqlSenderRegistrationStore(stores.db),
                stores.accounts,
                SystemClock(),
                SqlFileStore(stores.db),
            )
            try:
                return await fn(registry)
            except SenderError as exc:
                raise click.ClickException(str(exc)) from exc
        finally:
            await stores.close()

    return run(go)


@sender.command("approve")
@click.argument("login")
@click.argument("name")
@_db_option
def sender_approve(login: str, name: str, database: str | None) -> None:
    """Approve sender NAME of LOGIN (state completed: usable for sending)."""
    _with_registry(database, lambda reg: reg.approve(login, name))
    click.echo(f"{login}: sender {name!r} completed")


@sender.command("reject")
@click.argument("login")
@click.argument("name")
@click.option("--comment", required=True, help="Why (shown to the client as X5 history).")
@_db_option
def sender_reject(login: str, name: str, comment: str, database: str | None) -> None:
    """Reject sender NAME of LOGIN with a comment (state rejected)."""
    _with_registry(database, lambda reg: reg.reject(login, name, comment))
    click.echo(f"{login}: sender {name!r} rejected")


def _line(s: SenderListing) -> str:
    parts = [s.login, s.name, s.state.value]
    for label, value in (
        ("id", "" if s.id_originator is None else str(s.id_originator)),
        ("inn", s.inn),
        ("kpp", s.kpp),
        ("ogrn", s.ogrn),
        ("counterparty", s.name_counterparty),
        ("template", s.template),
        ("operator", s.operator),
        ("mcc", s.mcc),
        ("mnc", s.mnc),
        ("file", "" if s.file_id is None else str(s.file_id)),
        ("href", s.file_href),
        ("comment", s.comment),
        ("history", s.history),
    ):
        if value:
            parts.append(f"{label}={value!r}")
    return "\t".join(parts)


@sender.command("list")
@click.argument("login", required=False)
@_db_option
def sender_list(login: str | None, database: str | None) -> None:
    """List sender names (of LOGIN, or of every account) with state and registration data."""
    listings = _with_registry(database, lambda reg: reg.list(login))
    for s in listings:
        click.echo(_line(s))
    if not listings:
        click.echo("no senders")
