"""The one place that builds concrete parts and wires them together.

``build_runtime`` builds the platform of one process; ``first_start`` creates what a demo
start prints (the demo account, the first operator) and the web key; ``wiring`` holds the
wiring of operations (``/ready``, ``/metrics``, status), of the web side, of the customer SMPP
server and of worker 0 among several processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import structlog
from starlette.routing import BaseRoute

from ..clock import Clock, SystemClock
from ..config import Settings, mask_url, sqlite_path
from ..delivery.delegation import CreditHandoff
from ..delivery.engine import Engine, EngineSettings
from ..delivery.limits import FlowControl
from ..delivery.ownership import ConnectorOwnership
from ..delivery.routing import Router
from ..delivery.smpp_connector import SmppConnector, SmppConnectorConfig
from ..delivery.wake import WakeSender
from ..domain.accounts import Lang
from ..services.admin import AdminService
from ..services.auth import Authenticator
from ..services.login_throttle import AttemptLimiter, LoginThrottle, ThrottleSettings
from ..services.metered import MeteredPlatform
from ..services.ownership import node_id
from ..services.platform import PlatformService
from ..services.ports import Handoff
from ..services.submit import SubmitService
from ..simulator.smsc import SimulatorConfig, Smsc
from ..store import (
    Database,
    DatabaseUnavailable,
    SqlAccountStore,
    SqlDeliveryQueue,
    SqlMessageStore,
    migrate,
)
from ..store.connector_leases import SqlConnectorLeases
from ..store.routing import SqlRoutingStore
from ..store.tariffs import SqlTariffStore
from .first_start import ensure_demo_account, ensure_first_operator, web_access
from .wiring import (
    CallbacksOnly,
    add_smpp_cabinet,
    add_smpp_server,
    build_metrics,
    build_web,
    connector_statuses,
    count_http,
    serve_cluster,
    trail_finals,
    wire_operations,
)

__all__ = [
    "Cluster",
    "Runtime",
    "Stores",
    "build_runtime",
    "build_stop_list",
    "ensure_demo_account",
    "ensure_first_operator",
    "open_stores",
    "tariff_store",
    "web_access",
]

log = structlog.get_logger("smsrelay")


class Worker(Protocol):
    """A feature's background loop (webhook pusher, Viber dispatcher...)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass(slots=True)
class Stores:
    db: Database
    accounts: SqlAccountStore
    messages: SqlMessageStore
    queue: SqlDeliveryQueue

    async def close(self) -> None:
        await self.db.close()


async def open_stores(settings: Settings, *, run_migrations: bool = True) -> Stores:
    database_file = sqlite_path(settings.database_url)
    if not settings.create_database and database_file and not database_file.exists():
        raise DatabaseUnavailable(
            f"database {mask_url(settings.database_url)} does not exist "
            f"({database_file.resolve()}): give --database or SMSRELAY_DATABASE_URL, "
            "or create it with `smsrelay migrate`"
        )
    if run_migrations:
        await migrate(settings.database_url)
    db = await Database.open(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    validity = timedelta(hours=settings.default_validity_hours)
    return Stores(
        db=db,
        accounts=SqlAccountStore(db),
        messages=SqlMessageStore(db, default_validity=validity),
        queue=SqlDeliveryQueue(db),
    )


@dataclass(frozen=True, slots=True)
class Cluster:
    """``serve --workers N`` (docs/scaling.md): this process's place among the processes of
    one machine, which share the run directory ``run_dir`` (made by the supervisor).

    Worker 0 is the full node (engine, simulator, customer SMPP server, background loops) and
    listens for wakes; workers 1.. serve HTTP only: they store due SMS ``queued`` and wake
    worker 0, and read its carrier binds from the snapshot it writes."""

    run_dir: Path
    worker: int = 0

    @property
    def http_only(self) -> bool:
        return self.worker > 0

    @property
    def wake_path(self) -> Path:
        return self.run_dir / "wake.sock"

    @property
    def credit_path(self) -> Path:
        return self.run_dir / "credit.sock"

    @property
    def links_path(self) -> Path:
        return self.run_dir / "links.json"

    def send_ready(self) -> None:
        """An HTTP-only process serves: tell worker 0 (its supervisor)."""
        from ..delivery.wake import send_ready

        send_ready(self.wake_path)


@dataclass(slots=True)
class Runtime:
    """Everything ``smsrelay serve`` runs in one process."""

    settings: Settings
    clock: Clock
    stores: Stores
    platform: PlatformService
    submit: SubmitService
    admin: AdminService
    auth: Authenticator
    engine: Engine | None
    connectors: list[SmppConnector]
    simulator: Smsc | None
    app: Any
    extras: dict[str, Any] = field(default_factory=dict)  # feature services, by name
    workers: list[Worker] = field(default_factory=list)  # feature background loops
    # connectors owned by lease: the routing supervisor starts those this node holds
    ownership: ConnectorOwnership | None = None
    _started: bool = field(default=False)

    async def start(self) -> None:
        if self.ownership is None:
            for c in self.connectors:
                await c.start()
        if self.engine is not None:
            await self.engine.start()
        for w in self.workers:
            await w.start()
        self._started = True

    async def stop(self) -> None:
        if self._started:
            for w in reversed(self.workers):
                await w.stop()
        if self.engine is not None and self._started:
            await self.engine.stop()
        for c in self.connectors:
            await c.stop()
        if self.ownership is not None:  # binds closed: a peer may take them over now
            await self.ownership.release_all()
        if self.engine is not None and self._started:
            await self.engine.close_receipts()
        await self.submit.close()
        if self.simulator is not None:
            await self.simulator.stop()
        await self.stores.close()


def tariff_store(stores: Stores) -> SqlTariffStore:
    """Tariffs, assignments and statements on the stores' database (docs/billing.md)."""
    return SqlTariffStore(stores.db)


async def build_runtime(
    settings: Settings, clock: Clock | None = None, cluster: Cluster | None = None
) -> Runtime:
    """Everything of one process; ``cluster``: one of several processes (see :class:`Cluster`;
    None: the only one)."""
    from ..api.app import ApiSettings, create_app
    from ..api.xml_core import XmlEndpoints

    clock = clock or SystemClock()
    http_only = cluster is not None and cluster.http_only
    metrics = build_metrics(settings)
    stores = await open_stores(settings, run_migrations=not http_only)  # worker 0 migrated
    simulator: Smsc | None = None
    if settings.simulator and not http_only:
        simulator = Smsc(
            SimulatorConfig(
                host=settings.simulator_host,
                port=settings.simulator_port,
                system_id=settings.simulator_system_id,
                password=settings.simulator_password,
                receipt_delay=settings.simulator_receipt_delay,
                mo_echo=settings.simulator_mo_echo,
            )
        )
        await simulator.start()

    engine: Engine | None = None
    connectors: list[SmppConnector] = []
    ownership: ConnectorOwnership | None = None
    if settings.engine and not http_only:
        router = Router()
        flow = FlowControl(clock)
        routing_store = SqlRoutingStore(stores.db)
        ownership = ConnectorOwnership(
            SqlConnectorLeases(stores.db),
            clock,
            settings.node_id or node_id(),
            ttl=timedelta(seconds=settings.connector_lease_seconds),
        )
        engine = Engine(
            stores.queue,
            router,
            clock,
            EngineSettings(
                claim_batch=settings.claim_batch,
                max_in_flight=settings.max_in_flight,
                lease=timedelta(seconds=settings.lease_seconds),
                poll_interval=settings.poll_interval,
            ),
            flow=flow,
            charges=routing_store,
            metrics=metrics if settings.metrics else None,
            ownership=ownership,
        )
        host = settings.smpp_host or settings.simulator_host
        port = settings.smpp_port or (simulator.port if simulator else 2776)
        for _ in range(settings.smpp_binds):
            connector = SmppConnector(
                SmppConnectorConfig(
                    name="smpp" if settings.smpp_host else "simulator",
                    host=host,
                    port=port,
                    system_id=settings.smpp_system_id or settings.simulator_system_id,
                    password=settings.smpp_password or settings.simulator_password,
                    window=settings.smpp_window,
                ),
                on_receipt=engine.on_receipt,
                on_inbound=engine.on_inbound_sms,
                clock=clock,
            )
            connectors.append(connector)
            router.add(connector)

    handoff: Handoff | None = engine  # due SMS are claimed in the accepting transaction
    wake_sender: WakeSender | None = None
    credit: CreditHandoff | None = None
    if cluster is not None and http_only:  # claimed on worker 0's credit, else queued + wake
        wake_sender = WakeSender(cluster.wake_path, lease=settings.lease_seconds)
        credit = CreditHandoff(cluster.credit_path, wake_sender.wake, settings.lease_seconds)
        handoff = credit
    submit = SubmitService(
        stores.messages,
        clock,
        max_parts=settings.max_parts,
        default_validity=timedelta(hours=settings.default_validity_hours),
        handoff=handoff,
    )
    throttle = LoginThrottle(
        clock,
        ThrottleSettings(
            account_failures=settings.login_account_failures,
            address_failures=settings.login_address_failures,
            window_seconds=settings.login_window_seconds,
        ),
    )
    auth = Authenticator(stores.accounts, clock, ttl=settings.auth_cache_seconds, throttle=throttle)
    from ..store.viber import SqlViberStore

    viber_store = SqlViberStore(stores.db)
    platform = PlatformService(
        auth,
        submit,
        stores.messages,
        stores.accounts,
        channels=viber_store,
        prices=tariff_store(stores),
    )
    api_settings = ApiSettings(
        error_status=settings.error_status,  # type: ignore[arg-type]
        max_body_bytes=settings.max_body_bytes,
        default_lang=Lang(settings.default_lang),
    )
    xml = XmlEndpoints(
        max_body_bytes=settings.max_body_bytes,
        error_status=settings.error_status,
        default_lang=Lang(settings.default_lang),
    )
    # Feature wiring: each feature adds its routes, its services (``extras``) and its
    # background workers (started after the engine, stopped before it).
    routes: list[BaseRoute] = []
    extras: dict[str, Any] = {}
    workers: list[Worker] = []
    # XML data endpoints (X8-X17): number info, bases, subscribers, STOP list, scheduled
    from ..api.xml_data import XmlDataServices
    from ..api.xml_data import routes as xml_data_routes
    from ..services.bases import BasesService
    from ..services.numberinfo import NumberInfoService
    from ..services.scheduled import ScheduledService
    from ..services.stoplist import StopListService
    from ..store.bases import SqlBaseStore
    from ..store.scheduled import SqlScheduledStore
    from ..store.stoplist import SqlStopListStore

    numbers = NumberInfoService(clock)
    extras["xml_data"] = XmlDataServices(
        numbers=numbers,
        bases=BasesService(SqlBaseStore(stores.db), numbers, clock),
        stop_list=StopListService(SqlStopListStore(stores.db), clock),
        scheduled=ScheduledService(SqlScheduledStore(stores.db), clock),
    )
    routes += xml_data_routes(platform, extras["xml_data"], xml)
    # routing (G1): connectors and routes from the database, applied without restart
    from ..delivery.supervisor import RoutingSupervisor, smpp_factory, smpp_rebuild
    from ..services.routing import RoutingAdmin

    extras["routing_admin"] = RoutingAdmin(SqlRoutingStore(stores.db), stores.accounts, clock)
    if engine is not None:
        extras["routing"] = RoutingSupervisor(
            routing_store,
            router,
            flow,
            smpp_factory(engine, clock),
            connectors,
            ownership=ownership,
            rebuild=smpp_rebuild(engine, clock),
        )
        extras["ownership"] = ownership
        workers.append(extras["routing"])
    # GET dialect (/sendsms.php) and G5 registration (/ru/reg/registration.html)
    from ..api.get_dialect import routes as get_routes
    from ..services.registration import RegistrationService
    from ..store.registration import SqlRegistrationStore

    extras["registration"] = RegistrationService(
        SqlRegistrationStore(stores.db),
        clock,
        AttemptLimiter(
            clock, settings.registrations_per_address, settings.registration_window_seconds
        ),
    )
    routes += get_routes(
        MeteredPlatform(platform, metrics, "get"), extras["registration"], clock, api_settings
    )
    # Status webhooks (J3/X3/W6): settings and W6, the SSRF guard, the outbox pusher
    from ..api.xml_webhook import routes as webhook_routes
    from ..delivery.webhooks import PusherSettings, WebhookPusher
    from ..services.webhooks import AddressPolicy, UrlGuard, WebhookService
    from ..store.webhooks import SqlWebhookStore

    hook_store = SqlWebhookStore(stores.db)
    hook_guard = UrlGuard(
        AddressPolicy.parse(
            settings.webhook_allow, settings.webhook_deny, settings.webhook_allow_private
        )
    )
    extras["webhooks"] = WebhookService(hook_store, hook_guard, clock)
    pusher_settings = PusherSettings(
        max_attempts=settings.webhook_attempts,
        backoff=timedelta(seconds=settings.webhook_backoff_seconds),
        timeout=settings.webhook_timeout,
        batch_size=settings.webhook_batch,
        concurrency=settings.webhook_concurrency,
        account_concurrency=settings.webhook_account_concurrency,
        poll_interval=settings.webhook_poll_interval,
        run_loop=settings.webhook_pusher and not http_only,  # worker 0 pushes
    )
    pusher = WebhookPusher(hook_store, hook_guard, clock, pusher_settings)
    extras["webhook_pusher"] = pusher
    extras["webhooks"].attach_tester(pusher.push_test)
    workers.append(pusher)
    routes += webhook_routes(platform, extras["webhooks"], xml)
    # incoming-SMS webhooks (docs/webhooks.md): the same service and pusher, other tables
    from ..delivery.incoming_payload import render_incoming_push
    from ..store.incoming_hooks import SqlIncomingHookStore

    incoming_hooks = SqlIncomingHookStore(stores.db)
    extras["incoming_webhooks"] = WebhookService(incoming_hooks, hook_guard, clock)
    extras["incoming_pusher"] = WebhookPusher(
        incoming_hooks, hook_guard, clock, pusher_settings, render=render_incoming_push
    )
    workers.append(extras["incoming_pusher"])
    # campaigns (docs/campaigns.md): one text to a whole base, /json/send_base.php
    from ..api.campaigns import routes as campaign_routes
    from ..services.campaigns import CampaignService
    from ..store.campaigns import SqlBaseReader

    extras["campaigns"] = CampaignService(SqlBaseReader(stores.db), platform)
    from ..services.birthdays import BirthdayScheduler
    from ..store.campaigns import SqlBirthdayStore

    extras["birthdays"] = BirthdayScheduler(
        SqlBirthdayStore(stores.db),
        stores.accounts,
        platform,
        clock,
        zone_of=lambda phone: numbers.describe(phone, Lang.RU).moscow_offset,
    )
    if not http_only:  # loops that run once per machine: in worker 0
        workers.append(extras["birthdays"])
    routes += campaign_routes(platform, extras["campaigns"])
    # statistics (docs/statistics.md): W1, the summary endpoint, the delta folder
    from ..api.stats import routes as stats_routes
    from ..services.stats import StatsFolder, StatsService
    from ..store.stats import SqlStatsStore

    extras["stats"] = StatsService(SqlStatsStore(stores.db), clock)
    if not http_only:
        workers.append(StatsFolder(extras["stats"]))
    routes += stats_routes(platform, xml, extras["stats"], numbers)
    # number-base checking (spec §6, docs/checking.md): C1/C2 with the simulated checker
    from ..api.checking import routes as checking_routes
    from ..services.checking import CheckingService, SimulatedChecker
    from ..store.checking import SqlCheckingStore

    extras["checking"] = CheckingService(SqlCheckingStore(stores.db), SimulatedChecker(), clock)
    routes += checking_routes(platform, extras["checking"])
    # tariffs (docs/billing.md): a reseller prices its sub-accounts, /xml/tariffs.php
    from ..api.xml_tariffs import routes as tariff_routes
    from ..services.tariffs import TariffService

    extras["tariffs"] = TariffService(tariff_store(stores), stores.accounts, clock)
    routes += tariff_routes(platform, xml, extras["tariffs"])
    if engine is not None and settings.webhook_pusher:
        engine.add_listener(lambda _changes: pusher.wake())
    if engine is not None and settings.log_message_trail:
        engine.add_listener(trail_finals)
    # Incoming SMS (X7): MOs from the engine stored in batches, numbers/keywords route them
    from ..api.xml_incoming import routes as incoming_routes
    from ..services.inbound import InboundService
    from ..services.optout import OptOutService
    from ..store.inbound import SqlInboundStore
    from ..store.optout import SqlOptOutStore

    # opt-out by reply (issue 9): a STOP answer puts the subscriber on the STOP list
    optout = OptOutService(
        SqlOptOutStore(stores.db), extras["xml_data"].stop_list, stores.accounts, clock, platform
    )
    extras["optout"] = optout
    # auto-reply per number/keyword (issue 13): after opt-out, which takes precedence
    from ..services.autoreply import AutoReplyService
    from ..store.autoreply import SqlAutoReplyStore

    autoreply = AutoReplyService(SqlAutoReplyStore(stores.db), stores.accounts, platform)
    extras["autoreply"] = autoreply

    async def on_stored(stored: Sequence[Any]) -> None:
        await autoreply.handle(stored, await optout.handle(stored))

    inbound = InboundService(SqlInboundStore(stores.db), clock, on_stored=on_stored)
    extras["inbound"] = inbound
    workers.append(inbound)
    routes += incoming_routes(xml, platform, inbound.incoming)
    if engine is not None:
        engine.set_inbound_handler(
            lambda mo: inbound.receive(mo.source, mo.destination, mo.text, mo.at, mo.connector)
        )
    # The customer SMPP server (issue 11, docs/smpp-server.md): the same acceptance as HTTP
    if settings.smpp_server and http_only:  # worker 0 runs it: the cabinet's page, the binds
        add_smpp_cabinet(settings, stores, clock, extras, lambda: settings.smpp_server_port)
        from ..smpp_server.bind_status import customer_binds
        from ..store.smpp_server import SqlSmppServerStore

        binds_store = SqlSmppServerStore(stores.db)

        async def other_binds() -> list[Any]:  # `smsrelay status`: customer_binds
            return await customer_binds(None, binds_store, clock)

        extras["customer_binds"] = other_binds
    elif settings.smpp_server:
        smpp_platform = MeteredPlatform(platform, metrics, "smpp")
        add_smpp_server(settings, clock, stores, smpp_platform, extras, workers)
    # Viber and the Viber->SMS cascade (docs/viber.md): simulator, dispatcher, callback route
    from ..api.viber import routes as viber_routes
    from ..delivery.viber_connector import HttpViberConfig, HttpViberProvider
    from ..delivery.viber_dispatch import ViberDispatcher, ViberDispatchSettings
    from ..simulator.viber import ViberSimulator, ViberSimulatorConfig

    extras["viber_store"] = viber_store
    if engine is not None and settings.viber and (settings.viber_url or settings.simulator):
        viber_base: str | Callable[[], str] = settings.viber_url
        if not settings.viber_url:
            viber_sim = ViberSimulator(
                ViberSimulatorConfig(
                    host=settings.simulator_host,
                    port=settings.viber_simulator_port,
                    token=settings.viber_token,
                    callback_delay=settings.viber_simulator_callback_delay,
                )
            )
            extras["viber_simulator"] = viber_sim
            workers.append(viber_sim)  # listens before the dispatcher starts
            viber_base = lambda: viber_sim.url  # noqa: E731 - its port is known once it listens
        api_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        viber = ViberDispatcher(
            stores.queue,
            viber_store,
            HttpViberProvider(HttpViberConfig("viber", token=settings.viber_token), viber_base),
            clock,
            ViberDispatchSettings(
                poll_interval=settings.poll_interval,
                lease=timedelta(seconds=settings.lease_seconds),  # the engine's heartbeat too
            ),
            callback_url=settings.viber_callback_url
            or f"http://{api_host}:{settings.port}/viber/callback/viber",
            on_sms_leg=engine.wake,
        )
        if "webhook_pusher" in extras and settings.webhook_pusher:
            viber.add_listener(lambda _changes: extras["webhook_pusher"].wake())
        viber.add_listener(metrics.finals)
        if settings.log_message_trail:
            viber.add_listener(trail_finals)
        extras["viber"] = viber
        workers.append(viber)
        routes += viber_routes(viber)
    elif http_only and settings.viber and (settings.viber_url or settings.simulator):
        # the provider's status callbacks may reach any process: applied here too (no sends)
        callbacks = ViberDispatcher(
            stores.queue,
            viber_store,
            HttpViberProvider(HttpViberConfig("viber", token=settings.viber_token), ""),
            clock,
            ViberDispatchSettings(poll_interval=settings.poll_interval),
            on_sms_leg=wake_sender.wake if wake_sender is not None else None,
        )
        callbacks.add_listener(metrics.finals)
        workers.append(CallbacksOnly(callbacks))
        routes += viber_routes(callbacks)
    # XML sending and account endpoints (X1, X2, X4, X5, X6, X18, X19, X20)
    from ..api import xml_account, xml_send
    from ..services.files import DEFAULT_MAX_UPLOAD_BYTES, FileService
    from ..services.reseller import ResellerService
    from ..services.senders import SenderRegistry
    from ..store.file_usage import SqlFileUsage
    from ..store.files import SqlFileStore
    from ..store.reseller import SqlResellerStore
    from ..store.sender_registrations import SqlSenderRegistrationStore

    file_store = SqlFileStore(stores.db)
    extras["senders"] = SenderRegistry(
        SqlSenderRegistrationStore(stores.db), stores.accounts, clock, file_store
    )
    extras["files"] = FileService(
        file_store,
        Path(settings.data_dir) / "files",
        clock,
        max_bytes=int(settings.extra.get("max_upload_bytes", DEFAULT_MAX_UPLOAD_BYTES)),
        usage=SqlFileUsage(stores.db),
        max_files=settings.upload_max_files,
        max_total_bytes=settings.upload_max_total_bytes,
    )
    extras["reseller"] = ResellerService(SqlResellerStore(stores.db), clock)
    routes += xml_send.routes(MeteredPlatform(platform, metrics, "xml"), xml)
    routes += xml_account.routes(
        platform,
        xml,
        extras["senders"],
        extras["files"],
        extras["reseller"],
        clock,
        max_body_bytes=settings.max_body_bytes,
        error_status=settings.error_status,
    )
    _ = xml
    # Web cabinet (/lk/) and operator console (/admin/): the same services, other adapter
    snapshot = None
    if cluster is not None and http_only:  # worker 0's binds, from the snapshot it writes
        from ..delivery.link_snapshot import LinkSnapshot

        snapshot = LinkSnapshot(cluster.links_path, clock)
    extras["web_access"], web = build_web(
        settings,
        clock,
        stores,
        MeteredPlatform(platform, metrics, "web"),
        extras,
        snapshot.console if snapshot is not None else connector_statuses(connectors, clock),
        AdminService(stores.accounts, clock),
    )
    routes += web
    # Operations (docs/operations.md): /ready, /metrics, /status.json, the link watch
    ops_routes = wire_operations(
        settings, clock, stores, engine, metrics, extras, workers, snapshot
    )
    if wake_sender is not None:
        workers.append(wake_sender)
    if credit is not None:
        workers.append(credit)
    if cluster is not None and not http_only:
        serve_cluster(cluster, settings, clock, engine, extras, workers, connectors)
    app = create_app(MeteredPlatform(platform, metrics, "json"), api_settings, routes + ops_routes)
    count_http(app, metrics)
    return Runtime(
        settings=settings,
        clock=clock,
        stores=stores,
        platform=platform,
        submit=submit,
        admin=AdminService(stores.accounts, clock),
        auth=auth,
        engine=engine,
        connectors=connectors,
        simulator=simulator,
        app=app,
        extras=extras,
        workers=workers,
        ownership=ownership,
    )


def build_stop_list(stores: Stores, clock: Clock) -> Any:
    """The stop-list use case on the stores (for the CLI: ``smsrelay stoplist``)."""
    from ..services.stoplist import StopListService
    from ..store.stoplist import SqlStopListStore

    return StopListService(SqlStopListStore(stores.db), clock)
