"""Operator commands for carrier links as data: ``connector``, ``route``, ``account limit``.

Changes go to the database; a running ``smsrelay serve`` applies them within about a second
(it polls the configuration version), without a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..services.routing import (
    BindType,
    ConcatKind,
    ConnectorSpec,
    RouteSpec,
    RoutingAdmin,
    TextEncoding,
)
from ..store.routing import SqlRoutingStore
from .admin import account
from .main import _db_option, cli, run, settings_from

T = TypeVar("T")
ANY = "*"  # the route prefix that matches every destination


def with_routing(database: str | None, fn: Callable[[RoutingAdmin], Awaitable[T]]) -> T:
    settings = settings_from(database)

    async def go() -> T:
        stores = await open_stores(settings)
        try:
            admin = RoutingAdmin(SqlRoutingStore(stores.db), stores.accounts, SystemClock())
            return await fn(admin)
        finally:
            await stores.close()

    return run(go)


def _prefix(text: str) -> str:
    return "" if text == ANY else text


def _show_connector(c: ConnectorSpec) -> str:
    rate = "unlimited" if c.throughput is None else f"{c.throughput:g} parts/s"
    return (
        f"{c.name}: {c.host}:{c.port} system_id={c.system_id} bind={c.bind.value} "
        f"binds={c.binds} window={c.window} throughput={rate} concat={c.concat.value} "
        f"encoding={c.encoding.value}"
    )


def _show_route(r: RouteSpec) -> str:
    scope = f" account={r.account}" if r.account_id is not None else ""
    scope += f" operator={r.operator!r}" if r.operator else ""
    undeliv = " failover-on-undeliv" if r.failover_on_undeliv else ""
    return f"{r.prefix or ANY} -> {','.join(r.connectors)}{scope}{undeliv}"


@cli.group()
def connector() -> None:
    """Carrier links (SMPP): add, list, remove, load from a TOML/JSON file."""


@connector.command("add")
@click.argument("name")
@click.option("--host", required=True, help="SMSC host name or address.")
@click.option("--port", type=int, required=True, help="SMSC port.")
@click.option("--system-id", required=True, help="Bind system_id (up to 15 characters).")
@click.option("--password", required=True, help="Bind password (up to 8 characters).")
@click.option("--bind", type=click.Choice([b.value for b in BindType]), default="transceiver")
@click.option("--window", type=int, default=10, help="submit_sm in flight per bind.")
@click.option("--throughput", type=float, default=None, help="Parts per second, all binds.")
@click.option("--concat", type=click.Choice([c.value for c in ConcatKind]), default="udh8")
@click.option("--encoding", type=click.Choice([e.value for e in TextEncoding]), default="gsm7")
@click.option("--binds", type=int, default=1, help="Parallel binds (1..16).")
@click.option("--system-type", default="", help="Bind system_type.")
@click.option("--source-ton", type=int, default=None, help="Source TON (default: by sender).")
@click.option("--source-npi", type=int, default=None, help="Source NPI (default: by sender).")
@click.option("--dest-ton", type=int, default=1, help="Destination TON.")
@click.option("--dest-npi", type=int, default=1, help="Destination NPI.")
@_db_option
def connector_add(
    name: str,
    host: str,
    port: int,
    system_id: str,
    password: str,
    bind: str,
    window: int,
    throughput: float | None,
    concat: str,
    encoding: str,
    binds: int,
    system_type: str,
    source_ton: int | None,
    source_npi: int | None,
    dest_ton: int,
    dest_npi: int,
    database: str | None,
) -> None:
    """Add connector NAME, or replace it (a running server re-binds it)."""
    try:
        spec = ConnectorSpec(
            name=name,
            host=host,
            port=port,
            system_id=system_id,
            password=password,
            bind=BindType(bind),
            window=window,
            throughput=throughput,
            concat=ConcatKind(concat),
            encoding=TextEncoding(encoding),
            binds=binds,
            system_type=system_type,
            source_ton=source_ton,
            source_npi=source_npi,
            dest_ton=dest_ton,
            dest_npi=dest_npi,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    with_routing(database, lambda a: a.add_connector(spec))
    click.echo(f"connector {_show_connector(spec)}")


@connector.command("list")
@_db_option
def connector_list(database: str | None) -> None:
    """List the configured connectors (passwords are not shown)."""
    config = with_routing(database, lambda a: a.config())
    for c in config.connectors:
        click.echo(_show_connector(c))
    if not config.connectors:
        click.echo("no connectors: the default link (simulator or --smpp-host) is used")


@connector.command("remove")
@click.argument("name")
@_db_option
def connector_remove(name: str, database: str | None) -> None:
    """Remove connector NAME (refused while a route names it)."""
    with_routing(database, lambda a: a.remove_connector(name))
    click.echo(f"connector {name} removed")


@connector.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["toml", "json"]),
    default=None,
    help="File format (default: by the file's extension).",
)
@_db_option
def connector_load(file: Path, fmt: str | None, database: str | None) -> None:
    """Add or replace the connectors ([[connector]]) and routes ([[route]]) of FILE."""
    fmt = fmt or ("json" if file.suffix.lower() == ".json" else "toml")
    text = file.read_text(encoding="utf-8")
    n_connectors, n_routes = with_routing(database, lambda a: a.load_file(text, fmt))
    click.echo(f"loaded {n_connectors} connectors and {n_routes} routes from {file.name}")


@cli.group()
def route() -> None:
    """Routes: destination prefix (and account, operator) -> connectors by priority."""


@route.command("add")
@click.argument("prefix")
@click.argument("connectors")
@click.option("--account", default=None, help="Only for this account (login).")
@click.option("--operator", default="", help="Only for this mobile operator (numbering data).")
@click.option(
    "--failover-on-undeliv",
    is_flag=True,
    help="Send again via the next connector when the receipt says UNDELIV.",
)
@_db_option
def route_add(
    prefix: str,
    connectors: str,
    account: str | None,
    operator: str,
    failover_on_undeliv: bool,
    database: str | None,
) -> None:
    """Route PREFIX (digits, or * for every number) to CONNECTORS (a,b,...: by priority)."""
    names = [n.strip() for n in connectors.split(",") if n.strip()]
    r = with_routing(
        database,
        lambda a: a.add_route(
            _prefix(prefix),
            names,
            account=account,
            operator=operator,
            failover_on_undeliv=failover_on_undeliv,
        ),
    )
    click.echo(f"route {_show_route(r)}")


@route.command("list")
@_db_option
def route_list(database: str | None) -> None:
    """List the routes and the route prices."""
    config = with_routing(database, lambda a: a.config())
    for r in config.routes:
        click.echo(_show_route(r))
    for p in config.prices:
        click.echo(f"price {p.prefix or ANY} via {p.connector}: {p.price}")
    if not config.routes:
        click.echo("no routes: every connector serves every destination")


@route.command("remove")
@click.argument("prefix")
@click.option("--account", default=None, help="The route of this account (login).")
@click.option("--operator", default="", help="The route of this mobile operator.")
@_db_option
def route_remove(prefix: str, account: str | None, operator: str, database: str | None) -> None:
    """Remove the route of PREFIX (* for every number)."""
    with_routing(
        database, lambda a: a.remove_route(_prefix(prefix), account=account, operator=operator)
    )
    click.echo(f"route {prefix} removed")


@account.command("limit")
@click.argument("login")
@click.argument("parts_per_s", type=float)
@click.option("--sender", default="", help="Limit only this sender name of the account.")
@_db_option
def account_limit(login: str, parts_per_s: float, sender: str, database: str | None) -> None:
    """Limit LOGIN (or one --sender of it) to PARTS_PER_S message parts per second; 0 removes."""
    rate = parts_per_s if parts_per_s > 0 else None
    with_routing(database, lambda a: a.set_limit(login, rate, sender))
    what = f"{login} sender {sender!r}" if sender else login
    click.echo(f"{what}: " + (f"{rate:g} parts/s" if rate else "no limit"))


def set_route_price(database: str | None, connector_name: str, prefix: str, price: str) -> str:
    """``price set PREFIX PRICE --route CONNECTOR`` (called from ``cli/admin.py``)."""
    from ..domain.money import Money

    try:
        value = Money.parse(price)
    except ValueError as exc:
        raise click.ClickException(f"not an amount: {price!r}") from exc
    p = with_routing(database, lambda a: a.set_route_price(connector_name, _prefix(prefix), value))
    return f"price sms {p.prefix or '(any)'} via {p.connector}: {p.price}"
