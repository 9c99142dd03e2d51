"""Keeping the running connectors in step with the routing configuration stored in the
database and, with several nodes, with the connector leases this node holds
(docs/scaling.md). Builds SMPP binds for the configured connectors."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from ..clock import Clock
from ..services.ownership import LinkReport
from ..services.routing import ConnectorSpec, RoutingConfig
from .limits import FlowControl
from .ownership import ConnectorOwnership
from .ports import Connector, InboundSms, Receipt
from .routing import Router
from .smpp_config import BindMode, SmppConnectorConfig
from .smpp_connector import SmppConnector
from .smpp_submit import ConcatMode

__all__ = ["ConnectorFactory", "RoutingSupervisor", "smpp_factory", "smpp_rebuild"]

log = structlog.get_logger("smsrelay.routing")

ConnectorFactory = Callable[[ConnectorSpec], list[Connector]]


class _ConfigSource(Protocol):
    """What the supervisor needs from the store (a part of ``services.routing.RoutingStore``)."""

    async def version(self) -> str: ...
    async def load(self) -> RoutingConfig: ...


class RoutingSupervisor:
    """A worker: polls the configuration version and, when it moved, starts the connectors
    that are new or changed, points the router at the new set, then stops the old ones (their
    parts in flight finish first: :meth:`Connector.stop` drains). With no connector configured
    the router keeps the default connectors it was built with.

    With an ``ownership`` (several nodes on one database, docs/scaling.md) a connector's binds
    run here only while this node holds its lease: every ``ownership.interval`` the leases are
    renewed (taking free or expired ones); a connector gained is started, one lost is taken
    out of the router and stopped; connectors no longer configured are stopped, then
    released. Without it every configured connector runs here (one process)."""

    def __init__(
        self,
        store: _ConfigSource,
        router: Router,
        flow: FlowControl,
        factory: ConnectorFactory,
        running: list[Any],  # the runtime's connector list (of SmppConnector)
        *,
        interval: float = 1.0,
        ownership: ConnectorOwnership | None = None,
        rebuild: Callable[[Connector], Connector] | None = None,
    ) -> None:
        self._store = store
        self._router = router
        self._flow = flow
        self._factory = factory
        self._running = running  # the runtime's list: it stops them all at shutdown
        self._ownership = ownership
        self._rebuild = rebuild  # a new, unstarted bind like a stopped default one
        self._defaults: dict[str, list[Connector]] = {}
        for c in router.connectors:
            self._defaults.setdefault(c.name, []).append(c)
        self.interval = interval  # seconds between two looks at the configuration version
        self.applied = asyncio.Event()  # set after each configuration change was applied
        self._version: str | None = None
        self._config = RoutingConfig(version="", connectors=(), routes=())
        self._wanted: dict[str, ConnectorSpec] = {}
        # the binds running here, by name, and the spec they were built from (None: default)
        self._binds: dict[str, list[Connector]] = {}
        self._keys: dict[str, ConnectorSpec | None] = {}
        # default binds not started yet (with an ownership the runtime leaves them to us)
        self._unstarted: set[str] = set(self._defaults) if ownership is not None else set()
        if ownership is None:  # the runtime started the defaults
            self._binds = {name: list(b) for name, b in self._defaults.items()}
            self._keys = dict.fromkeys(self._defaults)
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = asyncio.Event()
        self._lock = asyncio.Lock()
        self.reloads = 0

    @property
    def flow(self) -> FlowControl:
        return self._flow

    @property
    def version(self) -> str | None:
        """The configuration version in force (None before the first load)."""
        return self._version

    async def start(self) -> None:
        self._closing.clear()
        await self.reload()
        self._tasks = [asyncio.create_task(self._poll(), name="routing-supervisor")]
        if self._ownership is not None:
            self._tasks.append(asyncio.create_task(self._beat(), name="connector-leases"))

    async def stop(self) -> None:
        """End the loops between two rounds: a reload and a beat write (the leases), and a
        task cancelled inside a SQLite write can leave its connection holding the write
        lock; cancelled only past the bound."""
        self._closing.set()
        tasks, self._tasks = self._tasks, []
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=30)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds``; False once the supervisor is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
        return not self._closing.is_set()

    async def _poll(self) -> None:
        while await self._pause(self.interval):
            try:
                if await self._store.version() != self._version:
                    await self.reload()
            except Exception:
                log.exception("routing_reload_failed")

    async def _beat(self) -> None:
        assert self._ownership is not None
        while await self._pause(self._ownership.interval):
            try:
                async with self._lock:
                    await self._reconcile(install=False)
            except Exception:
                log.exception("connector_ownership_failed")

    async def reload(self) -> bool:
        """Apply the stored configuration now; False when its version did not change."""
        async with self._lock:
            config = await self._store.load()
            if config.version == self._version:
                return False
            self._config = config
            self._wanted = {s.name: s for s in config.connectors}
            await self._reconcile(install=True)
            self._version = config.version
            self.reloads += 1
            self.applied.set()
            return True

    def _desired(self) -> dict[str, ConnectorSpec | None]:
        if self._wanted:
            return dict(self._wanted)
        return dict.fromkeys(self._defaults)

    async def _reconcile(self, *, install: bool) -> None:
        """Run here exactly the desired connectors this node may run (all without ownership)."""
        desired = self._desired()
        own = self._ownership
        if own is not None:
            await own.sync(desired, self._reports())
            allowed = {n for n in desired if own.holds(n)}
        else:
            allowed = set(desired)
        retired: list[Connector] = []
        for name in list(self._binds):
            if name not in allowed or self._keys[name] != desired[name]:
                retired.extend(self._binds.pop(name))
                del self._keys[name]
        for name in sorted(allowed - set(self._binds)):
            binds = self._build(name, desired[name])
            for c in binds:
                await c.start()
                if c not in self._running:
                    self._running.append(c)
            self._binds[name], self._keys[name] = binds, desired[name]
            install = True
        if install or retired:
            self._router.install(
                self._binds, self._wanted.values(), self._config.routes, self._config.prices
            )
            self._flow.configure(
                ((s.name, s.throughput) for s in self._wanted.values()), self._config.limits
            )
            log.info(
                "routing_applied", version=self._config.version, connectors=sorted(self._binds)
            )
        for c in retired:
            await c.stop()
            if c in self._running:
                self._running.remove(c)
        if own is not None:
            await own.release([n for n in own.owned if n not in desired])

    def _build(self, name: str, spec: ConnectorSpec | None) -> list[Connector]:
        if spec is not None:
            return self._factory(spec)
        if name in self._unstarted:
            self._unstarted.discard(name)
            return self._defaults[name]
        if self._rebuild is None:
            log.warning("default_connector_not_restartable", connector=name)
            return []
        self._defaults[name] = [self._rebuild(c) for c in self._defaults[name]]
        return self._defaults[name]

    def _reports(self) -> dict[str, LinkReport]:
        """This node's binds per connector, for the other nodes and ``smsrelay status``."""
        reports = {}
        for name, binds in self._binds.items():
            errors = [str(getattr(c, "last_error", "") or "") for c in binds]
            reports[name] = LinkReport(
                bound=sum(1 for c in binds if c.ready),
                last_error=next((e for e in errors if e), ""),
            )
        return reports


class _Sinks(Protocol):
    def on_receipt(self, receipt: Receipt) -> None: ...
    def on_inbound_sms(self, message: InboundSms) -> None: ...


def smpp_factory(sinks: _Sinks, clock: Clock, link_wait: float = 1.0) -> ConnectorFactory:
    """Builds a connector's SMPP binds. Throughput is enforced by the engine's
    :class:`FlowControl` across all binds of a connector, so the binds get no pacer. A part
    waits at most ``link_wait`` seconds for a link that went down: then it answers RETRY and
    the engine fails over to the route's next connector."""

    def build(spec: ConnectorSpec) -> list[Connector]:
        config = SmppConnectorConfig(
            name=spec.name,
            host=spec.host,
            port=spec.port,
            system_id=spec.system_id,
            password=spec.password,
            system_type=spec.system_type,
            bind=BindMode(spec.bind.value),
            window=spec.window,
            concat=ConcatMode(spec.concat.value),
            source_ton=spec.source_ton,
            source_npi=spec.source_npi,
            dest_ton=spec.dest_ton,
            dest_npi=spec.dest_npi,
            link_wait=link_wait,
        )
        return [
            SmppConnector(config, sinks.on_receipt, sinks.on_inbound_sms, clock)
            for _ in range(spec.binds)
        ]

    return build


def smpp_rebuild(sinks: _Sinks, clock: Clock) -> Callable[[Connector], Connector]:
    """A new, unstarted SMPP bind configured like ``old`` (a stopped bind cannot restart)."""

    def rebuild(old: Connector) -> Connector:
        assert isinstance(old, SmppConnector)
        return SmppConnector(old.config, sinks.on_receipt, sinks.on_inbound_sms, clock)

    return rebuild
