"""The one place that builds concrete parts and wires them together."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import structlog
from starlette.routing import BaseRoute

from .clock import Clock, SystemClock
from .config import Settings
from .delivery.engine import Engine, EngineSettings
from .delivery.limits import FlowControl
from .delivery.routing import Router
from .delivery.smpp_connector import SmppConnector, SmppConnectorConfig
from .domain.accounts import Lang
from .domain.messages import Channel
from .domain.money import Money
from .services.admin import AdminService
from .services.auth import Authenticator
from .services.platform import PlatformService
from .services.submit import SubmitService
from .simulator.smsc import SimulatorConfig, Smsc
from .store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore, migrate
from .store.routing import SqlRoutingStore

__all__ = ["Runtime", "Stores", "build_runtime", "ensure_demo_account", "open_stores"]

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
    _started: bool = field(default=False)

    async def start(self) -> None:
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
        if self.engine is not None and self._started:
            await self.engine.close_receipts()
        await self.submit.close()
        if self.simulator is not None:
            await self.simulator.stop()
        await self.stores.close()


async def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    from .api.app import ApiSettings, create_app
    from .api.xml_core import XmlEndpoints

    clock = clock or SystemClock()
    stores = await open_stores(settings)
    simulator: Smsc | None = None
    if settings.simulator:
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
    if settings.engine:
        router = Router()
        flow = FlowControl(clock)
        routing_store = SqlRoutingStore(stores.db)
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

    submit = SubmitService(
        stores.messages,
        clock,
        max_parts=settings.max_parts,
        default_validity=timedelta(hours=settings.default_validity_hours),
        handoff=engine,  # due SMS are claimed in the accepting transaction (None: no engine)
    )
    auth = Authenticator(stores.accounts, clock, ttl=settings.auth_cache_seconds)
    from .store.viber import SqlViberStore

    viber_store = SqlViberStore(stores.db)
    platform = PlatformService(auth, submit, stores.messages, stores.accounts, channels=viber_store)
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
    from .api.xml_data import XmlDataServices
    from .api.xml_data import routes as xml_data_routes
    from .services.bases import BasesService
    from .services.numberinfo import NumberInfoService
    from .services.scheduled import ScheduledService
    from .services.stoplist import StopListService
    from .store.bases import SqlBaseStore
    from .store.scheduled import SqlScheduledStore
    from .store.stoplist import SqlStopListStore

    numbers = NumberInfoService(clock)
    extras["xml_data"] = XmlDataServices(
        numbers=numbers,
        bases=BasesService(SqlBaseStore(stores.db), numbers, clock),
        stop_list=StopListService(SqlStopListStore(stores.db), clock),
        scheduled=ScheduledService(SqlScheduledStore(stores.db), clock),
    )
    routes += xml_data_routes(platform, extras["xml_data"], xml)
    # routing (G1): connectors and routes from the database, applied without restart
    from .delivery.routing import RoutingSupervisor, smpp_factory
    from .services.routing import RoutingAdmin

    extras["routing_admin"] = RoutingAdmin(SqlRoutingStore(stores.db), stores.accounts, clock)
    if engine is not None:
        extras["routing"] = RoutingSupervisor(
            routing_store, router, flow, smpp_factory(engine, clock), connectors
        )
        workers.append(extras["routing"])
    # GET dialect (/sendsms.php) and G5 registration (/ru/reg/registration.html)
    from .api.get_dialect import routes as get_routes
    from .services.registration import RegistrationService
    from .store.registration import SqlRegistrationStore

    extras["registration"] = RegistrationService(SqlRegistrationStore(stores.db), clock)
    routes += get_routes(platform, extras["registration"], clock, api_settings)
    # Status webhooks (J3/X3/W6): settings and W6, the SSRF guard, the outbox pusher
    from .api.xml_webhook import routes as webhook_routes
    from .delivery.webhooks import PusherSettings, WebhookPusher
    from .services.webhooks import AddressPolicy, UrlGuard, WebhookService
    from .store.webhooks import SqlWebhookStore

    hook_store = SqlWebhookStore(stores.db)
    hook_guard = UrlGuard(AddressPolicy.parse(settings.webhook_allow, settings.webhook_deny))
    extras["webhooks"] = WebhookService(hook_store, hook_guard, clock)
    pusher = WebhookPusher(
        hook_store,
        hook_guard,
        clock,
        PusherSettings(
            max_attempts=settings.webhook_attempts,
            backoff=timedelta(seconds=settings.webhook_backoff_seconds),
            timeout=settings.webhook_timeout,
            batch_size=settings.webhook_batch,
            concurrency=settings.webhook_concurrency,
            account_concurrency=settings.webhook_account_concurrency,
            poll_interval=settings.webhook_poll_interval,
            run_loop=settings.webhook_pusher,
        ),
    )
    extras["webhook_pusher"] = pusher
    workers.append(pusher)
    routes += webhook_routes(platform, extras["webhooks"], xml)
    if engine is not None and settings.webhook_pusher:
        engine.add_listener(lambda _changes: pusher.wake())
    # Incoming SMS (X7): MOs from the engine stored in batches, numbers/keywords route them
    from .api.xml_incoming import routes as incoming_routes
    from .services.inbound import InboundService
    from .store.inbound import SqlInboundStore

    inbound = InboundService(SqlInboundStore(stores.db), clock)
    extras["inbound"] = inbound
    workers.append(inbound)
    routes += incoming_routes(xml, platform, inbound.incoming)
    if engine is not None:
        engine.set_inbound_handler(
            lambda mo: inbound.receive(mo.source, mo.destination, mo.text, mo.at, mo.connector)
        )
    # The customer SMPP server (issue 11, docs/smpp-server.md): the same acceptance as HTTP
    if settings.smpp_server:
        _add_smpp_server(settings, clock, stores, platform, extras, workers)
    # Viber and the Viber->SMS cascade (docs/viber.md): simulator, dispatcher, callback route
    from .api.viber import routes as viber_routes
    from .delivery.viber_connector import HttpViberConfig, HttpViberProvider
    from .delivery.viber_dispatch import ViberDispatcher, ViberDispatchSettings
    from .simulator.viber import ViberSimulator, ViberSimulatorConfig

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
            ViberDispatchSettings(poll_interval=settings.poll_interval),
            callback_url=settings.viber_callback_url
            or f"http://{api_host}:{settings.port}/viber/callback/viber",
            on_sms_leg=engine.wake,
        )
        if "webhook_pusher" in extras and settings.webhook_pusher:
            viber.add_listener(lambda _changes: extras["webhook_pusher"].wake())
        extras["viber"] = viber
        workers.append(viber)
        routes += viber_routes(viber)
    # XML sending and account endpoints (X1, X2, X4, X5, X6, X18, X19, X20)
    from .api import xml_account, xml_send
    from .services.files import DEFAULT_MAX_UPLOAD_BYTES, FileService
    from .services.reseller import ResellerService
    from .services.senders import SenderRegistry
    from .store.files import SqlFileStore
    from .store.reseller import SqlResellerStore
    from .store.sender_registrations import SqlSenderRegistrationStore

    file_store = SqlFileStore(stores.db)
    extras["senders"] = SenderRegistry(
        SqlSenderRegistrationStore(stores.db), stores.accounts, clock, file_store
    )
    extras["files"] = FileService(
        file_store,
        Path(settings.data_dir) / "files",
        clock,
        max_bytes=int(settings.extra.get("max_upload_bytes", DEFAULT_MAX_UPLOAD_BYTES)),
    )
    extras["reseller"] = ResellerService(SqlResellerStore(stores.db), clock)
    routes += xml_send.routes(platform, xml)
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
    app = create_app(platform, api_settings, routes)
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
    )


def _add_smpp_server(
    settings: Settings,
    clock: Clock,
    stores: Stores,
    platform: PlatformService,
    extras: dict[str, Any],
    workers: list[Worker],
) -> None:
    from .services.smpp_access import SmppAccessService
    from .smpp_server import ServerSettings, SmppServer
    from .store.smpp_server import SqlSmppServerStore

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


DEMO_PRICES = (
    ("7", "1.00", "Russia"),
    ("380", "2.00", "Ukraine"),
    ("375", "2.00", "Belarus"),
    ("77", "1.50", "Kazakhstan"),
)


async def ensure_demo_account(
    settings: Settings, admin: AdminService, stores: Stores
) -> str | None:
    """On first start: a demo account, a default price list; returns the text to print."""
    path = Path(settings.data_dir) / "demo-account.txt"
    if await stores.accounts.find_by_login("demo") is None:
        if not (await stores.accounts.price_list()).entries:
            for prefix, price, area in DEMO_PRICES:
                await admin.set_price(prefix, Money.parse(price), area, Channel.SMS)
                await admin.set_price(prefix, Money.parse(price), area, Channel.VIBER)
        password = secrets.token_urlsafe(9)
        account, token = await admin.create_account(
            "demo", password, balance=Money.parse("1000"), any_sender=True
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            "demo account (any sender allowed, balance 1000.00 RUR)\n"
            f"  login:    demo\n  password: {password}\n  token:    {token}\n"
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        _ = account
        return text
    if path.exists():
        return path.read_text()
    return None
