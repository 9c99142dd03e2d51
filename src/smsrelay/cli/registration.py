"""Operator commands for self-service registrations (G5): activate a pending account, list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..domain.money import Money
from ..services.registration import RegistrationError, RegistrationService
from ..store.registration import SqlRegistrationStore
from .admin import account
from .main import _db_option, run, settings_from

T = TypeVar("T")


def with_registration(database: str | None, fn: Callable[[RegistrationService], Awaitable[T]]) -> T:
    """Run ``fn`` with the registration service on the configured database."""
    settings = settings_from(database)

    async def go() -> T:
        stores = await open_stores(settings)
        try:
            return await fn(RegistrationService(SqlRegistrationStore(stores.db), SystemClock()))
        except RegistrationError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            await stores.close()

    return run(go)


@account.command("activate")
@click.argument("login")
@_db_option
def account_activate(login: str, database: str | None) -> None:
    """Activate LOGIN, an account created by self-service registration, so it can sign in."""
    account_id = with_registration(database, lambda r: r.activate(login))
    click.echo(f"{login}: activated (id {account_id})")


@account.command("list")
@_db_option
def account_list(database: str | None) -> None:
    """List every account: id, login, active or pending, locked, balance, registration type."""
    rows = with_registration(database, lambda r: r.list_accounts())
    for row in rows:
        state = "active" if row.active else "pending"
        locked = " locked" if row.locked else ""
        kind = f" registered as {row.businessman}" if row.businessman else ""
        click.echo(
            f"{row.id}\t{row.login}\t{state}{locked}\tbalance {Money(row.balance_micros)}{kind}"
        )
