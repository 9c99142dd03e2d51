"""Operator commands of the customer SMPP server (issue 11): ``account smpp``, ``smpp binds``,
``smpp kick``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..services.smpp_access import DEFAULT_MAX_BINDS, DEFAULT_THROUGHPUT, SmppAccessService
from ..store.smpp_server import SqlSmppServerStore
from .admin import account
from .main import _db_option, cli, run, settings_from

T = TypeVar("T")

#: a bind row not refreshed for this long belongs to a process that is gone
LIVE_WITHIN = timedelta(seconds=15)


def with_smpp(database: str | None, fn: Callable[..., Awaitable[T]]) -> T:
    settings = settings_from(database)

    async def go() -> T:
        stores = await open_stores(settings)
        try:
            store = SqlSmppServerStore(stores.db)
            return await fn(store, SmppAccessService(store, stores.accounts, SystemClock()))
        finally:
            await stores.close()

    return run(go)


@account.command("smpp")
@click.argument("login")
@click.option("--password", required=True, help="SMPP bind password (8 characters per SMPP 3.4).")
@click.option("--max-binds", type=int, default=DEFAULT_MAX_BINDS, show_default=True)
@click.option(
    "--throughput", type=int, default=DEFAULT_THROUGHPUT, show_default=True, help="msg/s."
)
@click.option("--allow-ip", "allow_ip", multiple=True, help="Allowed CIDR (repeat; default any).")
@_db_option
def account_smpp(
    login: str,
    password: str,
    max_binds: int,
    throughput: int,
    allow_ip: tuple[str, ...],
    database: str | None,
) -> None:
    """Give account LOGIN access to the SMPP server (system_id = LOGIN)."""
    access = with_smpp(
        database,
        lambda _store, svc: svc.configure(
            login, password, max_binds=max_binds, throughput=throughput, allowed=allow_ip
        ),
    )
    where = ", ".join(access.allowed) or "any address"
    click.echo(
        f"account {login}: SMPP access, {access.max_binds} binds, "
        f"{access.throughput} msg/s, from {where}"
    )


@cli.group()
def smpp() -> None:
    """The customer SMPP server: live binds, kick an account."""


@smpp.command("binds")
@_db_option
def smpp_binds(database: str | None) -> None:
    """List live customer binds (all processes sharing the database)."""

    async def go(store: SqlSmppServerStore, _svc: SmppAccessService) -> None:
        now = SystemClock().now()
        rows = await store.live_binds(now - LIVE_WITHIN)
        if not rows:
            click.echo("no live binds")
            return
        click.echo("account\taddress\tbind\tsince\tsubmit/s\treceipt/s\toutstanding\tnode")
        for r in rows:
            click.echo(
                f"{r.login}\t{r.address}\t{r.bind_type}\t{r.since:%Y-%m-%d %H:%M:%S}Z\t"
                f"{r.submit_rate:.1f}\t{r.receipt_rate:.1f}\t{r.outstanding}\t{r.node}"
            )

    with_smpp(database, go)


@smpp.command("kick")
@click.argument("login")
@_db_option
def smpp_kick(login: str, database: str | None) -> None:
    """Close every bind of account LOGIN (within a few seconds, on every process)."""
    n = with_smpp(database, lambda store, _svc: store.kick(login))
    click.echo(f"{login}: {n} bind(s) asked to close")
