"""``smsrelay status``: the running platform as an operator sees it.

Read from the running server's ``/status.json`` (answered to loopback clients only) on the
API address of the settings, or ``--url``. When no server answers, what the database knows
(queue by state, webhook backlog, receipts overdue, the customer SMPP binds its processes last
stored) is shown and the carrier binds are reported as unknown.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..config import Settings
from .main import _db_option, cli, run, settings_from

__all__ = ["format_status"]


def _server_url(settings: Settings) -> str:
    host = settings.host
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    return f"http://{host}:{settings.port}"


def _fetch(url: str, timeout: float) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/status.json", timeout=timeout) as r:
            data: dict[str, Any] = json.loads(r.read())
            return data
    except (urllib.error.URLError, OSError, ValueError):
        return None


async def _from_database(settings: Settings) -> dict[str, Any]:
    from ..services.operations import OperationsService, connector_owners
    from ..store.connector_leases import SqlConnectorLeases
    from ..store.operations import SqlOperationsStore

    stores = await open_stores(settings, run_migrations=False)
    clock = SystemClock()
    try:
        ops = OperationsService(
            SqlOperationsStore(stores.db),
            clock,
            receipt_overdue_after=timedelta(seconds=settings.receipt_query_after),
        )
        owners = connector_owners(SqlConnectorLeases(stores.db), clock)

        async def read_owners() -> Any:  # None when the schema is behind (`ready` says why)
            from sqlalchemy.exc import SQLAlchemyError

            try:
                return await owners()
            except SQLAlchemyError:
                return None

        ops.add_section("connector_owners", read_owners)
        data = await ops.status()
        if settings.smpp_server:
            data["customer_binds"] = await _stored_binds(stores.db)
    finally:
        await stores.close()
    data["process"] = None  # no server answered: nothing is known of binds
    data["connectors"] = None
    return data


async def _stored_binds(db: Any) -> list[Any] | None:
    """The live customer SMPP binds as their processes last stored them (window unknown);
    None when the database cannot say (its schema is behind: ``ready`` names the problem)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..smpp_server.bind_status import bind_json
    from ..smpp_server.server import LIVE_WITHIN
    from ..store.smpp_server import SqlSmppServerStore

    since = SystemClock().now() - timedelta(seconds=LIVE_WITHIN)
    try:
        rows = await SqlSmppServerStore(db).live_binds(since)
    except SQLAlchemyError:
        return None
    return [bind_json(row, row.outstanding, None) for row in rows]


def format_status(data: dict[str, Any]) -> str:
    """The human table of a status document."""
    lines: list[str] = []
    process = data.get("process")
    ready = data.get("ready") or {}
    if process is None:
        lines.append("server: not reachable (showing what the database knows)")
    else:
        lines.append(f"server: pid {process.get('pid')}, up since {process.get('started_at')}")
    lines.append(
        f"ready: {ready.get('status', '?')}"
        + (f" ({'; '.join(ready.get('reasons', []))})" if ready.get("reasons") else "")
    )
    connectors = data.get("connectors")
    if connectors is not None:
        lines.append("")
        lines.append(
            f"{'connector':<16} {'bind':>4} {'state':<10} {'bound since':<26} "
            f"{'window':>9} {'submit/s':>9} {'rcpt/s':>7}  last error"
        )
        for c in connectors:
            for b in c["binds"]:
                lines.append(
                    f"{c['name']:<16} {b['bind']:>4} {b['state']:<10} "
                    f"{b['bound_since'] or '-':<26} "
                    f"{str(b['window_in_use']) + '/' + str(b['window']):>9} "
                    f"{c['submit_rate']:>9} {c['receipt_rate']:>7}  {b['last_error'] or '-'}"
                )
        if not connectors:
            lines.append("(no carrier connector in this process)")
    node = data.get("node")
    if node is not None:
        lines.append(f"node: {node.get('id')}")
    owners = data.get("connector_owners")
    if owners:
        lines.append("")
        lines.append(
            f"{'connector':<16} {'owner node':<36} {'lease until':<26} {'bound':>5}  last error"
        )
        for o in owners:
            lines.append(
                f"{o['connector']:<16} {o['owner'] or '(free)':<36} {o['expires_at']:<26} "
                f"{o['bound']:>5}  {o['last_error'] or '-'}"
            )
    lines.append("")
    queue = data.get("queue") or {}
    lines.append("queue: " + ", ".join(f"{k} {v}" for k, v in queue.items()))
    lines.append(f"webhook backlog: {data.get('webhook_backlog', 0)}")
    lines.append(
        f"receipts overdue: {data.get('receipts_overdue', 0)} "
        f"(no receipt after {data.get('receipt_overdue_after_s', 0):g} s)"
    )
    binds = data.get("customer_binds")
    if binds is not None:
        lines.append(f"customer SMPP binds: {len(binds)}")
        if binds:
            lines.append(
                f"{'account':<16} {'address':<39} {'bind':>4} {'since':<26} {'outstanding':>11}"
            )
        for c in binds:
            window = c.get("window")
            outstanding = f"{c['outstanding']}" + (f"/{window}" if window is not None else "")
            lines.append(
                f"{c['account']:<16} {c['address'] or '-':<39} {c['bind_type']:>4} "
                f"{c['since']:<26} {outstanding:>11}"
            )
    return "\n".join(lines)


@cli.command("status")
@click.option("--url", default=None, help="The server's API address (default: from settings).")
@click.option("--json", "as_json", is_flag=True, help="Print the status document as JSON.")
@click.option("--timeout", type=float, default=3.0, show_default=True, help="Seconds to wait.")
@_db_option
def status(url: str | None, as_json: bool, timeout: float, database: str | None) -> None:
    """Connectors and binds, queue by state, webhook backlog, receipts overdue."""
    settings = settings_from(database)
    data = _fetch(url or _server_url(settings), timeout)
    if data is None:
        data = run(lambda: _from_database(settings))
    click.echo(json.dumps(data, indent=2) if as_json else format_status(data))


def _register_query_sm() -> None:
    from .routing import connector

    @connector.command("query-sm")
    @click.argument("name")
    @click.argument("switch", type=click.Choice(["on", "off"]))
    @_db_option
    def connector_query_sm(name: str, switch: str, database: str | None) -> None:
        """Allow (on) or stop (off) query_sm to connector NAME for receipts overdue after
        SMSRELAY_RECEIPT_QUERY_AFTER seconds (docs/operations.md)."""
        from ..store.receipt_queries import SqlReceiptQueries

        settings = settings_from(database)

        async def go() -> None:
            stores = await open_stores(settings, run_migrations=False)
            try:
                await SqlReceiptQueries(stores.db).set_query_sm(name, switch == "on")
            finally:
                await stores.close()

        run(go)
        click.echo(f"{name}: query_sm {switch}")


_register_query_sm()
