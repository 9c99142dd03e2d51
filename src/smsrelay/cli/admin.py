"""Operator commands that act on the database directly: accounts, senders, prices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..domain.accounts import Lang
from ..domain.messages import Channel
from ..domain.money import Money
from ..services.admin import AdminService
from .main import _db_option, cli, run, settings_from

T = TypeVar("T")


def with_admin(database: str | None, fn: Callable[[AdminService], Awaitable[T]]) -> T:
    settings = settings_from(database)

    async def go() -> T:
        stores = await open_stores(settings)
        try:
            return await fn(AdminService(stores.accounts, SystemClock()))
        finally:
            await stores.close()

    return run(go)


def _money(text: str) -> Money:
    try:
        return Money.parse(text)
    except ValueError as exc:
        raise click.ClickException(f"not an amount: {text!r}") from exc


@cli.group()
def account() -> None:
    """Create accounts, add money, lock and unlock them."""


@account.command("create")
@click.argument("login")
@click.option("--password", required=True, help="Account password (stored as an argon2 hash).")
@click.option("--token", default=None, help="API token (generated when omitted).")
@click.option("--balance", default="0", help="Starting balance, e.g. 100 or 99.50.")
@click.option(
    "--lang", type=click.Choice(["ru", "en"]), default="ru", help="Language of wire literals."
)
@click.option("--any-sender", is_flag=True, help="Allow any sender name without moderation.")
@click.option("--parent", default=None, help="Reseller login this account is a sub-account of.")
@_db_option
def account_create(
    login: str,
    password: str,
    token: str | None,
    balance: str,
    lang: str,
    any_sender: bool,
    parent: str | None,
    database: str | None,
) -> None:
    """Create an account LOGIN."""
    amount = _money(balance)
    acc, tok = with_admin(
        database,
        lambda a: a.create_account(
            login,
            password,
            token=token,
            balance=amount,
            lang=Lang(lang),
            any_sender=any_sender,
            parent=parent,
        ),
    )
    click.echo(f"created account {acc.login} (id {acc.id}) balance {acc.balance} token {tok}")


@account.command("topup")
@click.argument("login")
@click.argument("amount")
@_db_option
def account_topup(login: str, amount: str, database: str | None) -> None:
    """Add AMOUNT to LOGIN's balance (negative to deduct)."""
    value = _money(amount)
    balance = with_admin(database, lambda a: a.topup(login, value))
    click.echo(f"{login}: balance {balance}")


@account.command("lock")
@click.argument("login")
@_db_option
def account_lock(login: str, database: str | None) -> None:
    """Lock LOGIN: its sends are refused with the account-locked literal."""
    with_admin(database, lambda a: a.set_locked(login, True))
    click.echo(f"{login}: locked")


@account.command("unlock")
@click.argument("login")
@_db_option
def account_unlock(login: str, database: str | None) -> None:
    """Unlock LOGIN."""
    with_admin(database, lambda a: a.set_locked(login, False))
    click.echo(f"{login}: unlocked")


@cli.group()
def sender() -> None:
    """Sender names (originators) and their moderation."""


@sender.command("add")
@click.argument("login")
@click.argument("name")
@click.option("--approve", is_flag=True, help="Approve at once (state completed).")
@_db_option
def sender_add(login: str, name: str, approve: bool, database: str | None) -> None:
    """Register sender NAME for LOGIN (state order, or completed with --approve)."""
    s = with_admin(database, lambda a: a.add_sender(login, name, approve))
    click.echo(f"{login}: sender {s.name!r} {s.state.value}")


@cli.group()
def price() -> None:
    """Per-destination prices (per message part); the longest prefix wins."""


@price.command("set")
@click.argument("prefix")
@click.argument("amount", metavar="PRICE")
@click.option("--area", default=None, help="Destination name shown in balance answers.")
@click.option("--channel", type=click.Choice(["sms", "viber"]), default="sms")
@click.option("--route", default=None, help="Price of the parts sent via this connector.")
@_db_option
def price_set(
    prefix: str,
    amount: str,
    area: str | None,
    channel: str,
    route: str | None,
    database: str | None,
) -> None:
    """Set the price of one part to destinations starting with PREFIX (--area required), or
    with --route CONNECTOR the price charged when a part actually goes out via CONNECTOR."""
    if route is not None:
        from .routing import set_route_price

        click.echo(set_route_price(database, route, prefix, amount))
        return
    if area is None:
        raise click.ClickException("--area is required (or --route CONNECTOR)")
    value = _money(amount)
    e = with_admin(database, lambda a: a.set_price(prefix, value, area, Channel(channel)))
    click.echo(f"price {e.channel.value} {e.prefix or '(any)'} {e.area}: {e.price}")
