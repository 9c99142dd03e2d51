"""``smsrelay tariff create|set|assign|show|override|statement`` (docs/billing.md).

Operator tariffs have no owner; ``--owner LOGIN`` acts on a reseller's own tariffs (the ones
it sells to its sub-accounts), as the reseller's ``/xml/tariffs.php`` does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import click

from ..bootstrap import open_stores, tariff_store
from ..clock import SystemClock
from ..domain.accounts import Account
from ..domain.pricing import PriceEntry
from ..services.tariffs import TariffError, TariffService, price_entry
from .main import _db_option, cli, run, settings_from

T = TypeVar("T")


def with_tariffs(database: str | None, fn: Callable[[TariffService], Awaitable[T]]) -> T:
    settings = settings_from(database)

    async def go() -> T:
        stores = await open_stores(settings)
        try:
            service = TariffService(tariff_store(stores), stores.accounts, SystemClock())
            return await fn(service)
        except TariffError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            await stores.close()

    return run(go)


async def _owner(service: TariffService, login: str | None) -> Account | None:
    return None if login is None else await service.reseller(login)


_owner_option = click.option(
    "--owner", default=None, help="A reseller's login: act on that reseller's own tariffs."
)


@cli.group()
def tariff() -> None:
    """Named price lists per account; accounts without one use the default (``price set``)."""


@tariff.command("create")
@click.argument("name")
@_owner_option
@_db_option
def tariff_create(name: str, owner: str | None, database: str | None) -> None:
    """Create an empty tariff NAME."""

    async def go(s: TariffService) -> int:
        return await s.create(name, await _owner(s, owner))

    click.echo(f"tariff {name!r} created (id {with_tariffs(database, go)})")


@tariff.command("set")
@click.argument("name")
@click.argument("prefix")
@click.argument("amount", metavar="PRICE")
@click.option("--area", default=None, help="Destination name shown in balance answers.")
@click.option("--channel", type=click.Choice(["sms", "viber"]), default="sms")
@_owner_option
@_db_option
def tariff_set(
    name: str,
    prefix: str,
    amount: str,
    area: str | None,
    channel: str,
    owner: str | None,
    database: str | None,
) -> None:
    """Price one part to destinations starting with PREFIX in tariff NAME."""
    entry = _entry(prefix, amount, area, channel)

    async def go(s: TariffService) -> None:
        await s.set_price(name, entry, await _owner(s, owner))

    with_tariffs(database, go)
    click.echo(
        f"tariff {name!r}: {entry.channel.value} {entry.prefix or '(any)'} "
        f"{entry.area}: {entry.price}"
    )


@tariff.command("assign")
@click.argument("login")
@click.argument("name", required=False)
@_owner_option
@_db_option
def tariff_assign(login: str, name: str | None, owner: str | None, database: str | None) -> None:
    """Give account LOGIN the tariff NAME (without NAME: back to the default tariff)."""

    async def go(s: TariffService) -> None:
        await s.assign(login, name, await _owner(s, owner))

    with_tariffs(database, go)
    click.echo(f"{login}: tariff {name!r}" if name else f"{login}: default tariff")


@tariff.command("override")
@click.argument("login")
@click.argument("prefix")
@click.argument("amount", metavar="PRICE")
@click.option("--area", default=None, help="Destination name shown in balance answers.")
@click.option("--channel", type=click.Choice(["sms", "viber"]), default="sms")
@_db_option
def tariff_override(
    login: str, prefix: str, amount: str, area: str | None, channel: str, database: str | None
) -> None:
    """Price PREFIX for account LOGIN alone, over its tariff."""
    entry = _entry(prefix, amount, area, channel)
    with_tariffs(database, lambda s: s.override(login, entry))
    click.echo(f"{login}: {entry.channel.value} {entry.prefix or '(any)'} override {entry.price}")


@tariff.command("show")
@click.argument("name", required=False)
@click.option("--account", "login", default=None, help="Show what this account pays instead.")
@_owner_option
@_db_option
def tariff_show(
    name: str | None, login: str | None, owner: str | None, database: str | None
) -> None:
    """List tariffs, or the prices of tariff NAME, or an account's effective prices."""

    async def go(s: TariffService) -> list[str]:
        reseller = await _owner(s, owner)
        if login is not None:
            tariff_name, overrides, prices = await s.account_prices(login, reseller)
            lines = [f"{login}: tariff {tariff_name or '(default)'}"]
            lines += [
                f"  override {e.channel.value} {e.prefix or '(any)'} {e.price}" for e in overrides
            ]
            lines += [
                f"  {e.channel.value} {e.prefix or '(any)'} {e.area}: {e.price}"
                for e in prices.entries
            ]
            return lines
        if name is None:
            return await s.names(reseller) or ["(no tariffs)"]
        info = await s.show(name, reseller)
        lines = [
            f"tariff {info.name!r} (id {info.id}), accounts: {', '.join(info.accounts) or '-'}"
        ]
        lines += [
            f"  {e.channel.value} {e.prefix or '(any)'} {e.area}: {e.price}" for e in info.entries
        ]
        return lines

    for line in with_tariffs(database, go):
        click.echo(line)


@tariff.command("statement")
@click.argument("login")
@click.option("--since", default=None, help="From this UTC date (YYYY-MM-DD); 31 days ago.")
@click.option("--until", default=None, help="Before this UTC date (YYYY-MM-DD); now.")
@_db_option
def tariff_statement(
    login: str, since: str | None, until: str | None, database: str | None
) -> None:
    """A reseller's margin per sub-account: parts, income, cost, margin."""
    start, end = _date(since), _date(until)

    async def go(s: TariffService) -> list[str]:
        lines = await s.statement(await s.reseller(login), start, end)
        out = [f"{'account':<20} {'parts':>8} {'income':>14} {'cost':>14} {'margin':>14}"]
        out += [
            f"{x.login:<20} {x.parts:>8} {x.income!s:>14} {x.cost!s:>14} {x.margin!s:>14}"
            for x in lines
        ]
        return out

    for line in with_tariffs(database, go):
        click.echo(line)


def _entry(prefix: str, amount: str, area: str | None, channel: str) -> PriceEntry:
    try:
        return price_entry(prefix, amount, area or "", channel)
    except TariffError as exc:
        raise click.ClickException(str(exc)) from exc


def _date(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise click.ClickException(f"not a date (YYYY-MM-DD): {text!r}") from exc
