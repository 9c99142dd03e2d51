"""Choosing connectors for a message (``supervisor`` keeps the running connectors in step
with the configuration stored in the database).

Routes are data (:class:`~smsrelay.services.routing.RouteSpec`). For a message the router
looks, in this order, for a route of the message's account and its mobile operator, of the
account for any operator, of any account for the operator, of any account and operator; in
each of those tables the longest matching prefix wins. Every lookup is a dict probe per prefix
length: O(length of the number). The chosen route lists connector names by priority; the
engine tries them in that order (failover). Without any route every connector serves every
destination, in the order they were added.
"""

from __future__ import annotations

import functools
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

from ..domain.messages import OutboundMessage
from ..services.routing import ConnectorSpec, RoutePrice, RouteSpec, TextEncoding
from .ports import Connector, Receipt

__all__ = [
    "Router",
    "UndelivWatch",
    "numbering_operator",
]

log = structlog.get_logger("smsrelay.routing")

T = TypeVar("T")
OperatorLookup = Callable[[str], str]


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
