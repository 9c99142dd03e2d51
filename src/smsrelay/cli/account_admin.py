"""The CLI gaps a newcomer hit: ``price list``, ``account show|password|token``,
``stoplist add|remove|list``, ``sender remove``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ..bootstrap import Stores, build_stop_list, open_stores
from ..clock import SystemClock
from ..services.account_admin import AccountAdmin
from ..services.admin import AdminError
from .admin import account, price, sender
from .main import _db_option, cli, run, settings_from
from .messages import money_text

T = TypeVar("T")


def _with_stores(database: str | None, fn: Callable[[Stores], Awaitable[T]]) -> T:
    settings = settings_from(database)

    async def go() -> T:
        stores = await open_stores(settings, run_migrations=False)
        try:
            return await fn(stores)
        finally:
            await stores.close()

    return run(go)


def _admin(stores: Stores) -> AccountAdmin:
    from ..store.account_admin import SqlAccountAdmin

    return AccountAdmin(stores.accounts, SqlAccountAdmin(stores.db), SystemClock())


@price.command("list")
@_db_option
def price_list(database: str | None) -> None:
    """The price list: prefix, channel, price per part, area."""

    async def go(stores: Stores) -> list[Any]:
        return list((await stores.accounts.price_list()).entries)

    entries = sorted(_with_stores(database, go), key=lambda e: (e.channel.value, e.prefix))
    click.echo(f"{'prefix':<10} {'channel':<8} {'price':>10}  area")
    for e in entries:
        click.echo(
            f"{e.prefix or '(any)':<10} {e.channel.value:<8} {money_text(e.price):>10}  {e.area}"
        )
    if not entries:
        click.echo("(no prices: every send is refused until one is set with `price set`)")


@account.command("show")
@click.argument("login")
@click.option("--statement", type=int, default=20, show_default=True, help="Ledger lines shown.")
@_db_option
def account_show(login: str, statement: int, database: str | None) -> None:
    """LOGIN's balance, flags, limits, senders and latest statement lines."""
    o = _with_stores(database, lambda s: _admin(s).overview(login, statement))
    a = o.account
    click.echo(f"account {a.login} (id {a.id}){'  LOCKED' if a.locked else ''}")
    click.echo(f"  balance {money_text(a.balance)} {a.currency}, language {a.lang.value}")
    click.echo(f"  any sender: {'yes' if a.any_sender else 'no'}; API token: "
               f"{'set' if o.has_token else 'none'}")  # fmt: skip
    click.echo("limits:")
    for name, rate in o.limits:
        click.echo(f"  {name or '(whole account)'}: {rate:g} parts/s")
    if not o.limits:
        click.echo("  (none)")
    click.echo("senders:")
    for s in o.senders:
        click.echo(f"  {s.name}: {s.state.value}")
    if not o.senders:
        click.echo("  (none)")
    click.echo("statement (newest first):")
    for line in o.statement:
        msg = f" message {line.message_id}" if line.message_id is not None else ""
        click.echo(
            f"  {line.at.isoformat(sep=' ', timespec='seconds')}  {line.kind:<8} "
            f"{money_text(line.amount):>12}{msg}"
        )
    if not o.statement:
        click.echo("  (empty)")


@account.command("password")
@click.argument("login")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The new password (asked when omitted).",
)
@_db_option
def account_password(login: str, password: str, database: str | None) -> None:
    """Set LOGIN's password."""
    _with_stores(database, lambda s: _admin(s).set_password(login, password))
    click.echo(f"{login}: password changed")


@account.command("token")
@click.argument("login")
@click.option("--rotate", is_flag=True, help="Issue a new token; the old one stops working.")
@_db_option
def account_token(login: str, rotate: bool, database: str | None) -> None:
    """Rotate LOGIN's API token (printed once; it is not shown otherwise)."""
    if not rotate:
        raise click.UsageError("tokens are shown only when issued: use --rotate for a new one")
    token = _with_stores(database, lambda s: _admin(s).rotate_token(login))
    click.echo(f"{login}: new token {token}")


@sender.command("remove")
@click.argument("login")
@click.argument("name")
@_db_option
def sender_remove(login: str, name: str, database: str | None) -> None:
    """Remove sender NAME from LOGIN (its sends with that name are refused again)."""
    _with_stores(database, lambda s: _admin(s).remove_sender(login, name))
    click.echo(f"{login}: sender {name} removed")


@cli.group()
def stoplist() -> None:
    """An account's STOP list: numbers its messages are never sent to."""


async def _stop(stores: Stores, login: str, action: Any, phones: tuple[str, ...]) -> list[Any]:
    record = await stores.accounts.find_by_login(login)
    if record is None:
        raise AdminError(f"no account with login {login!r}")
    service = build_stop_list(stores, SystemClock())
    if action is None:
        return list(await service.phones(record.account))
    return list(await service.change(record.account, [(action, p) for p in phones]))


def _change(login: str, phones: tuple[str, ...], database: str | None, add: bool) -> None:
    from ..services.stoplist import StopAction

    action = StopAction.ADD if add else StopAction.DELETE
    results = _with_stores(database, lambda s: _stop(s, login, action, phones))
    for phone, result in zip(phones, results, strict=True):
        click.echo(f"{phone}: {getattr(result, 'value', result)}")


@stoplist.command("add")
@click.argument("login")
@click.argument("phones", nargs=-1, required=True)
@_db_option
def stoplist_add(login: str, phones: tuple[str, ...], database: str | None) -> None:
    """Add PHONES to LOGIN's stop list."""
    _change(login, phones, database, add=True)


@stoplist.command("remove")
@click.argument("login")
@click.argument("phones", nargs=-1, required=True)
@_db_option
def stoplist_remove(login: str, phones: tuple[str, ...], database: str | None) -> None:
    """Remove PHONES from LOGIN's stop list."""
    _change(login, phones, database, add=False)


@stoplist.command("list")
@click.argument("login")
@_db_option
def stoplist_list(login: str, database: str | None) -> None:
    """LOGIN's stopped numbers."""
    phones = _with_stores(database, lambda s: _stop(s, login, None, ()))
    for phone in phones:
        click.echo(phone)
    click.echo(f"({len(phones)} number{'s' if len(phones) != 1 else ''})")
