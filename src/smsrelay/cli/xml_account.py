"""Operator commands of the XML account features: sender moderation (X5/X6) and the
account's time-zone offset (X18).

    smsrelay sender approve LOGIN NAME
    smsrelay sender reject LOGIN NAME --comment TEXT
    smsrelay sender list [LOGIN]
    smsrelay account timezone LOGIN OFFSET_FROM_MOSCOW
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..services.senders import SenderError, SenderListing, SenderRegistry
from ..store.xml_account import SqlXmlAccountStore
from .admin import account, sender
from .main import _db_option, run, settings_from

T = TypeVar("T")

#: Offsets from Moscow (UTC+3) that name a real zone: UTC-12 .. UTC+14.
MIN_OFFSET, MAX_OFFSET = -15, 11


def _with_store(
    database: str | None, fn: Callable[[SqlXmlAccountStore, SenderRegistry], Awaitable[T]]
) -> T:
    settings = settings_from(database)

    async def go() -> T:
        stores = await open_stores(settings)
        try:
            store = SqlXmlAccountStore(stores.db)
            try:
                return await fn(store, SenderRegistry(store, stores.accounts, SystemClock()))
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
    _with_store(database, lambda _s, reg: reg.approve(login, name))
    click.echo(f"{login}: sender {name!r} completed")


@sender.command("reject")
@click.argument("login")
@click.argument("name")
@click.option("--comment", required=True, help="Why (shown to the client as X5 history).")
@_db_option
def sender_reject(login: str, name: str, comment: str, database: str | None) -> None:
    """Reject sender NAME of LOGIN with a comment (state rejected)."""
    _with_store(database, lambda _s, reg: reg.reject(login, name, comment))
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
    listings = _with_store(database, lambda _s, reg: reg.list(login))
    for s in listings:
        click.echo(_line(s))
    if not listings:
        click.echo("no senders")


@account.command("timezone")
@click.argument("login")
@click.argument("offset", metavar="OFFSET_FROM_MOSCOW", type=int)
@_db_option
def account_timezone(login: str, offset: int, database: str | None) -> None:
    """Set LOGIN's time zone as hours from Moscow time (X18 time, local dates), e.g. 4."""
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        raise click.ClickException(f"offset must be {MIN_OFFSET}..{MAX_OFFSET} hours from Moscow")

    async def go(store: SqlXmlAccountStore, registry: SenderRegistry) -> None:
        await store.set_tz_offset(await registry.account_id(login), offset)

    _with_store(database, go)
    click.echo(f"{login}: {offset:+d} h from Moscow")
