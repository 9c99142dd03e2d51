"""Wiring that ``build_runtime`` delegates: operations (``/ready``, ``/metrics``,
``/status.json``, the link watch and receipt queries), the web side, the customer SMPP server
and its cabinet page, and worker 0's part among several processes (wakes, credits, binds
snapshot)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from ..clock import Clock
from ..config import Settings
from ..delivery.engine import Engine
from ..delivery.ownership import ConnectorOwnership
from ..delivery.smpp_connector import SmppConnector
from ..logs import trail_final
from ..services.admin import AdminService
from ..services.facade import Platform
from ..services.operations import LinkSource
from ..services.ports import Metrics, NullMetrics, StatusChange
from .first_start import web_secret

if TYPE_CHECKING:
    from . import Cluster, Stores, Worker

__all__ = [
    "CallbacksOnly",
    "add_smpp_cabinet",
    "add_smpp_server",
    "build_metrics",
    "build_web",
    "connector_statuses",
    "count_http",
    "serve_cluster",
    "trail_finals",
    "wire_operations",
]


def build_metrics(settings: Settings) -> Metrics:
    """prometheus-client metrics (its one home is ``telemetry``), or nothing when off."""
    if not settings.metrics:
        return NullMetrics()
    from ..telemetry import PrometheusMetrics

    return PrometheusMetrics(settings.metrics_dir)


def wire_operations(
    settings: Settings,
    clock: Clock,
    stores: Stores,
    engine: Engine | None,
    metrics: Metrics,
    extras: dict[str, Any],
    workers: list[Worker],
    snapshot: LinkSource | None = None,
) -> list[BaseRoute]:
    from ..api.operations import routes as ops_routes
    from ..delivery.link_watch import LinkWatch
    from ..services.operations import OperationsService
    from ..store.operations import SqlOperationsStore

    links: LinkWatch | None = None
    source: LinkSource | None = snapshot
    if engine is not None:
        engine.add_listener(metrics.finals)
        links = LinkWatch(engine.router, metrics, clock)
        workers.append(links)
        extras["links"] = links
        from ..delivery.receipt_query import ReceiptQuerier
        from ..store.receipt_queries import SqlReceiptQueries

        default_link = "smpp" if settings.smpp_host else "simulator"
        extras["receipt_query"] = ReceiptQuerier(
            SqlReceiptQueries(stores.db),
            engine.router,
            engine.on_receipt,
            metrics,
            clock,
            after=timedelta(seconds=settings.receipt_query_after),
            default_allowed=frozenset({default_link} if settings.smpp_query_sm else ()),
        )
        workers.append(extras["receipt_query"])
        source = links
    ownership = extras.get("ownership")
    ops = OperationsService(
        SqlOperationsStore(stores.db),
        clock,
        source,
        receipt_overdue_after=timedelta(seconds=settings.receipt_query_after),
        bound_elsewhere=ownership.bound_elsewhere if ownership is not None else None,
    )
    extras["operations"] = ops
    from ..services.operations import connector_owners
    from ..store.connector_leases import SqlConnectorLeases

    ops.add_section("connector_owners", connector_owners(SqlConnectorLeases(stores.db), clock))
    if ownership is not None:
        ops.add_section("node", node_section(ownership))
    if "customer_binds" in extras:  # the customer SMPP server's binds (add_smpp_server)
        ops.add_section("customer_binds", extras["customer_binds"])

    async def render() -> tuple[bytes, str]:
        from ..telemetry import DbGauges, PrometheusMetrics
        from ..telemetry.prometheus_metrics import CONTENT_TYPE

        if not isinstance(metrics, PrometheusMetrics):
            return b"# metrics are off (SMSRELAY_METRICS=false)\n", "text/plain; charset=utf-8"
        if links is not None:
            links.sample()  # this process's binds as they are now
        facts = await ops.facts()
        gauges = DbGauges(facts.queue, facts.webhook_backlog, facts.receipts_overdue)
        return metrics.render(gauges), CONTENT_TYPE

    return ops_routes(ops, render)


def node_section(ownership: ConnectorOwnership) -> Callable[[], Any]:
    async def read() -> dict[str, Any]:
        return {"id": ownership.node, "owns": sorted(ownership.owned)}

    return read


def count_http(app: Any, metrics: Metrics) -> None:
    if isinstance(metrics, NullMetrics):
        return
    from ..api.operations import HttpMetricsMiddleware

    app.add_middleware(HttpMetricsMiddleware, metrics=metrics)


class CallbacksOnly:
    """A Viber dispatcher that only applies the provider's callbacks (an HTTP-only process):
    no sends, no claims; it retries the statuses that arrived before worker 0 wrote their
    send, and is stopped to write the statuses still waiting."""

    def __init__(self, dispatcher: Any) -> None:
        self._dispatcher = dispatcher

    async def start(self) -> None:
        await self._dispatcher.start_callbacks()

    async def stop(self) -> None:
        await self._dispatcher.stop()


def serve_cluster(
    cluster: Cluster,
    settings: Settings,
    clock: Clock,
    engine: Engine | None,
    extras: dict[str, Any],
    workers: list[Worker],
    connectors: list[SmppConnector],
) -> None:
    """Worker 0 of several: wakes from the HTTP-only processes reach the engine (and the Viber
    dispatcher), the engine lends them delivery slots (``delivery.delegation``); the binds
    are written for them to read."""
    from ..delivery.link_snapshot import LinkSnapshotWriter
    from ..delivery.wake import WakeListener

    listener = WakeListener(cluster.wake_path)
    if engine is not None:
        listener.on_wake(engine.wake)
    if "viber" in extras:
        listener.on_wake(extras["viber"].wake)
    extras["wake_listener"] = listener
    workers.insert(0, listener)  # open before the others start (stopped last)
    if engine is not None:  # the children claim at acceptance on our credit
        from ..delivery.delegation import CreditLender

        lender = CreditLender(
            cluster.credit_path,
            engine,
            share=min(settings.claim_batch, settings.max_in_flight // 4),
        )
        extras["credit_lender"] = lender
        workers.insert(1, lender)
    if "links" in extras:
        writer = LinkSnapshotWriter(
            cluster.links_path, extras["links"], connector_statuses(connectors, clock), clock
        )
        extras["link_snapshot"] = writer
        workers.append(writer)


def connector_statuses(connectors: list[SmppConnector], clock: Clock) -> Callable[[], list[Any]]:
    from ..services.console import ConnectorStatus

    seen: dict[int, tuple[str, Any]] = {}  # id(connector) -> (state, first seen in it)

    def read() -> list[Any]:
        out = []
        now = clock.now()
        alive = {id(c) for c in connectors}
        for gone in [k for k in seen if k not in alive]:
            del seen[gone]
        for c in list(connectors):
            stats = c.stats()
            state = c.state.value
            if seen.get(id(c), ("", None))[0] != state:
                seen[id(c)] = (state, now)
            out.append(
                ConnectorStatus(
                    name=c.name,
                    state=state,
                    ready=c.ready,
                    window=c.config.window,
                    in_flight=stats.get("in_flight", 0),
                    submitted=stats.get("submitted", 0),
                    receipts=stats.get("receipts", 0),
                    reconnects=stats.get("reconnects", 0),
                    host=f"{c.config.host}:{c.config.port}",
                    since=seen[id(c)][1],
                    last_error=str(getattr(c, "last_error", ""))[:500],
                )
            )
        return out

    return read


def build_web(
    settings: Settings,
    clock: Clock,
    stores: Stores,
    platform: Platform,
    extras: dict[str, Any],
    connector_statuses: Callable[[], list[Any]],
    admin: AdminService,
) -> tuple[Any, list[BaseRoute]]:
    from ..services.cabinet import CabinetService
    from ..services.console import ConsoleService
    from ..services.web_access import WebAccessService
    from ..store.cabinet import SqlCabinetQueries, SqlConsoleQueries
    from ..store.web_access import SqlWebAccessStore
    from ..web.app import WebServices, WebSettings, web_routes

    access = WebAccessService(SqlWebAccessStore(stores.db), clock)
    services = WebServices(
        access=access,
        cabinet=CabinetService(SqlCabinetQueries(stores.db), stores.accounts, clock),
        console=ConsoleService(SqlConsoleQueries(stores.db), clock, connector_statuses),
        platform=platform,
        admin=admin,
        senders=extras["senders"],
        files=extras["files"],
        prices=stores.accounts.price_list,
        clock=clock,
        registration=extras.get("registration"),
        reseller=extras.get("reseller"),
        stop_list=extras["xml_data"].stop_list,
        scheduled=extras["xml_data"].scheduled,
        inbound=extras.get("inbound"),
        webhooks=extras.get("webhooks"),
        routing=extras.get("routing_admin"),
        bases=extras["xml_data"].bases,
        tariffs=extras.get("tariffs"),
        smpp=extras.get("smpp_cabinet"),
    )
    web_settings = WebSettings(
        secret=web_secret(settings),
        secure_cookies=settings.extra.get("web_secure_cookies", "") in ("1", "true", "yes"),
        default_lang=settings.default_lang,
    )
    return access, web_routes(services, web_settings)


def trail_finals(changes: Sequence[StatusChange]) -> None:
    """The per-message trail's last line: each message that reached a final status."""
    for change in changes:
        if change.status.is_final:
            trail_final(change.message_id, change.account_id, change.status.value)


def add_smpp_server(
    settings: Settings,
    clock: Clock,
    stores: Stores,
    platform: Any,  # the acceptance use case (metered as entry 'smpp')
    extras: dict[str, Any],
    workers: list[Worker],
) -> None:
    from ..services.smpp_access import SmppAccessService
    from ..smpp_server import ServerSettings, SmppServer
    from ..store.smpp_server import SqlSmppServerStore

    store = SqlSmppServerStore(stores.db)
    server = SmppServer(
        ServerSettings(
            host=settings.smpp_server_host,
            port=settings.smpp_server_port,
            window=settings.smpp_server_window,
            idle_timeout=settings.smpp_server_idle_timeout,
            outbox_expiry=settings.smpp_server_outbox_expiry_hours * 3600.0,
            max_connections=settings.smpp_server_max_connections,
            part_timeout=settings.smpp_server_part_timeout,
        ),
        platform,
        SmppAccessService(store, stores.accounts, clock),
        store,
        clock,
    )
    extras["smpp_server"] = server
    workers.append(server)
    from ..smpp_server.bind_status import customer_binds

    async def read_binds() -> list[Any]:  # `smsrelay status`: customer_binds
        return await customer_binds(server, store, clock)

    extras["customer_binds"] = read_binds
    add_smpp_cabinet(settings, stores, clock, extras, lambda: server.port)


def add_smpp_cabinet(
    settings: Settings,
    stores: Stores,
    clock: Clock,
    extras: dict[str, Any],
    port: Callable[[], int],
) -> None:
    """The cabinet's SMPP access page (the server's address, the account's SMPP logins)."""
    from ..services.smpp_cabinet import SmppCabinetService
    from ..store.smpp_server import SqlSmppServerStore

    extras["smpp_cabinet"] = SmppCabinetService(
        SqlSmppServerStore(stores.db), clock, lambda: f"{settings.smpp_server_host}:{port()}"
    )
