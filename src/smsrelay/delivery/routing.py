"""Choosing connectors for a message, and keeping the running connectors in step with the
configuration stored in the database.

Routes are data (:class:`~smsrelay.services.routing.RouteSpec`). For a message the router
looks, in this order, for a route of the message's account and its mobile operator, of the
account for any operator, of any account for the operator, of any account and operator; in
each of those tables the longest matching prefix wins. Every lookup is a dict probe per prefix
length: O(length of the number). The chosen route lists connector names by priority; the
engine tries them in that order (failover). Without any route every connector serves every
destination, in the order they were added.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import structlog

from ..clock import Clock
from ..domain.messages import OutboundMessage
from ..services.ownership import LinkReport
from ..services.routing import ConnectorSpec, RoutePrice, RouteSpec, RoutingConfig, TextEncoding
from .limits import FlowControl
from .ownership import ConnectorOwnership
from .ports import Connector, InboundSms, Receipt
from .smpp_config import BindMode, SmppConnectorConfig
from .smpp_connector import SmppConnector
from .smpp_submit import ConcatMode

__all__ = [
    "ConnectorFactory",
    "Router",
    "RoutingSupervisor",
    "UndelivWatch",
    "numbering_operator",
    "smpp_factory",
    "smpp_rebuild",
]

log = structlog.get_logger("smsrelay.routing")

T = TypeVar("T")
OperatorLookup = Callable[[str], str]
ConnectorFactory = Callable[[ConnectorSpec], list[Connector]]


@functools.lru_cache(maxsize=65_536)
def numbering_operator(phone: str) -> str:
    """The mobile operator of an international number from numbering-plan data ("" unknown)."""
    import phonenumbers
    from phonenumbers import carrier

    try:
        number = phonenumbers.parse("+" + phone)
    except phonenumbers.NumberParseException:
        return ""
    return str(carrier.name_for_number(number, "en"))


class _Table(Generic[T]):
    """Values by digit prefix; the longest prefix of a number wins (one probe per length)."""

    __slots__ = ("_by_prefix", "_max_len")

    def __init__(self, by_prefix: dict[str, T]) -> None:
        self._by_prefix = by_prefix
        self._max_len = max((len(p) for p in by_prefix), default=0)

    def values(self) -> list[T]:
        return list(self._by_prefix.values())

    def match(self, phone: str) -> T | None:
        for n in range(min(len(phone), self._max_len), -1, -1):
            hit = self._by_prefix.get(phone[:n])
            if hit is not None:
                return hit
        return None


class Router:
    """Routes, the connectors by name (several binds each), route prices, text encodings."""

    def __init__(
        self,
        connectors: Sequence[Connector] = (),
        routes: Sequence[RouteSpec] = (),
        operator_of: OperatorLookup = numbering_operator,
    ) -> None:
        self._operator_of = operator_of
        self._binds: dict[str, list[Connector]] = {}
        self._specs: dict[str, ConnectorSpec] = {}
        self._tables: dict[tuple[int | None, str], _Table[RouteSpec]] = {}
        self._operators = False
        self._explicit = bool(routes)
        self._prices: dict[str, _Table[int]] = {}
        self._rr = itertools.count()
        self._set_routes(routes)
        for c in connectors:
            self.add(c)

    # --- configuration -----------------------------------------------------------------

    def add(self, connector: Connector) -> None:
        """Add a bind; without explicit routes every connector serves every prefix."""
        self._binds.setdefault(connector.name, []).append(connector)
        if not self._explicit:
            self._set_routes([RouteSpec("", tuple(self._binds))])

    def install(
        self,
        binds: dict[str, list[Connector]],
        specs: Iterable[ConnectorSpec],
        routes: Sequence[RouteSpec],
        prices: Iterable[RoutePrice],
    ) -> None:
        """Replace everything at once (a configuration reload)."""
        self._binds = {name: list(b) for name, b in binds.items()}
        self._specs = {s.name: s for s in specs}
        self._explicit = bool(routes)
        self._set_routes(routes or ([RouteSpec("", tuple(self._binds))] if self._binds else []))
        by_connector: dict[str, dict[str, int]] = {}
        for p in prices:
            by_connector.setdefault(p.connector, {})[p.prefix] = p.price.micros
        self._prices = {name: _Table(table) for name, table in by_connector.items()}

    def _set_routes(self, routes: Iterable[RouteSpec]) -> None:
        grouped: dict[tuple[int | None, str], dict[str, RouteSpec]] = {}
        for r in routes:
            grouped.setdefault((r.account_id, r.operator), {})[r.prefix] = r
        self._tables = {key: _Table(table) for key, table in grouped.items()}
        self._operators = any(op for _, op in self._tables)

    # --- lookups -------------------------------------------------------------------------

    @property
    def connectors(self) -> list[Connector]:
        return [c for binds in self._binds.values() for c in binds]

    def binds_by_name(self) -> dict[str, list[Connector]]:
        """Every bind, by connector name (for status and metrics)."""
        return {name: list(binds) for name, binds in self._binds.items()}

    def routed(self) -> set[str]:
        """The connector names that routes send to (all of them without explicit routes)."""
        return {
            name
            for table in self._tables.values()
            for route in table.values()
            for name in route.connectors
        }

    def several(self) -> bool:
        """More than one connector (by name) to choose from."""
        return len(self._binds) > 1

    def any_ready(self) -> bool:
        return any(c.ready for binds in self._binds.values() for c in binds)

    def route(self, message: OutboundMessage) -> RouteSpec | None:
        return self.route_to(message.account_id, message.phone)

    def route_to(self, account_id: int, phone: str) -> RouteSpec | None:
        """The route of a message of ``account_id`` to ``phone`` (see the module docstring)."""
        operator = self._operator_of(phone) if self._operators else ""
        keys: list[tuple[int | None, str]] = []
        if operator:
            keys.append((account_id, operator))
        keys.append((account_id, ""))
        if operator:
            keys.append((None, operator))
        keys.append((None, ""))
        for key in keys:
            table = self._tables.get(key)
            if table is not None:
                hit = table.match(phone)
                if hit is not None:
                    return hit
        return None

    def ready(self, name: str) -> bool:
        """Connector ``name`` has a ready bind in this process."""
        return any(c.ready for c in self._binds.get(name, ()))

    def bind(self, name: str) -> Connector | None:
        """A ready bind of connector ``name`` (round-robin), or ``None``."""
        binds = self._binds.get(name)
        if not binds:
            return None
        if len(binds) == 1:
            return binds[0] if binds[0].ready else None
        ready = [c for c in binds if c.ready]
        return ready[next(self._rr) % len(ready)] if ready else None

    def pick(self, message: OutboundMessage) -> Connector | None:
        """The first ready connector of the message's route, by priority."""
        route = self.route(message)
        if route is None:
            return None
        for name in route.connectors:
            c = self.bind(name)
            if c is not None:
                return c
        return None

    def price(self, connector: str, phone: str) -> int | None:
        """The route price (micro-units per part) of ``connector`` for ``phone``, if set."""
        table = self._prices.get(connector)
        return None if table is None else table.match(phone)

    def encoding(self, connector: str) -> TextEncoding:
        spec = self._specs.get(connector)
        return TextEncoding.GSM7 if spec is None else spec.encoding


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
        await self.reload()
        self._tasks = [asyncio.create_task(self._poll(), name="routing-supervisor")]
        if self._ownership is not None:
            self._tasks.append(asyncio.create_task(self._beat(), name="connector-leases"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                if await self._store.version() != self._version:
                    await self.reload()
            except Exception:
                log.exception("routing_reload_failed")

    async def _beat(self) -> None:
        assert self._ownership is not None
        while True:
            await asyncio.sleep(self._ownership.interval)
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


@dataclass(slots=True)
class _Watched:
    message: OutboundMessage
    tried: tuple[str, ...]  # connectors this message already went out through
    keys: list[tuple[str, str]]


Failover = tuple[Receipt, OutboundMessage, tuple[str, ...]]


class UndelivWatch:
    """Messages of ``failover_on_undeliv`` routes with a connector still untried, by
    (connector, carrier id) of each part: an UNDELIV receipt for one of them sends the message
    again via the route's next connector (at most once per connector). Held in memory only and
    bounded (oldest forgotten first): after a restart, or beyond ``capacity`` parts, the
    UNDELIV receipt simply stands.

    A receipt can arrive before its submit's outcome reached the engine (the carrier sends it
    right behind the submit_sm_resp): while such submits are in progress (:meth:`begin` /
    :meth:`end`), unmatched UNDELIV receipts are *held* and matched again when a message is
    watched; they are released to normal processing when no such submit is left, or after
    ``hold_for`` seconds."""

    def __init__(self, capacity: int = 100_000, hold_for: float = 1.0) -> None:
        self._capacity = capacity
        self._hold_for = hold_for
        self._by_part: OrderedDict[tuple[str, str], _Watched] = OrderedDict()
        self._held: list[tuple[Receipt, float]] = []
        self._submitting = 0

    def __len__(self) -> int:
        return len(self._by_part)

    @property
    def active(self) -> bool:
        return bool(self._by_part) or self._submitting > 0

    def begin(self) -> None:
        self._submitting += 1

    def end(self, now: float) -> list[Receipt]:
        """A watched route's submit is over; returns the held receipts to process normally."""
        self._submitting -= 1
        keep = (
            [] if self._submitting == 0 else [h for h in self._held if now - h[1] < self._hold_for]
        )
        released = [r for r, t in self._held if (r, t) not in keep]
        self._held = keep
        return released

    def receipt(self, receipt: Receipt, now: float) -> Failover | bool | None:
        """An UNDELIV receipt: the failover to start, True when held, False to process it."""
        found = self._take(receipt.connector, receipt.carrier_ids)
        if found is not None:
            return (receipt, *found)
        if self._submitting > 0:
            self._held.append((receipt, now))
            return True
        return False

    def watch(
        self, message: OutboundMessage, tried: tuple[str, ...], carrier_ids: Iterable[str]
    ) -> list[Failover]:
        """Watch the message's parts; returns the failovers of receipts held for them."""
        entry = _Watched(message, tried, [(tried[-1], cid) for cid in carrier_ids if cid])
        for key in entry.keys:
            self._by_part[key] = entry
        while len(self._by_part) > self._capacity:
            self._by_part.popitem(last=False)
        started: list[Failover] = []
        for held in list(self._held):
            found = self._take(held[0].connector, held[0].carrier_ids)
            if found is not None:
                self._held.remove(held)
                started.append((held[0], *found))
        return started

    def _take(
        self, connector: str, carrier_ids: Iterable[str]
    ) -> tuple[OutboundMessage, tuple[str, ...]] | None:
        for cid in carrier_ids:
            entry = self._by_part.get((connector, cid))
            if entry is not None:
                for key in entry.keys:
                    self._by_part.pop(key, None)
                return entry.message, entry.tried
        return None
