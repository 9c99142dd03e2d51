"""Carrier links and routes as data: their vocabulary, the storage port, the operator use cases.

A *connector* is a named carrier link (one SMPP account, possibly several binds); a *route*
maps a destination prefix (optionally only for one account, optionally only for one mobile
operator) to connector names in priority order. A *route price* overrides the list price for
the parts that actually went out through one connector. *Rate limits* cap an account (or one
of its sender names) in parts per second.

Every change bumps one configuration version; a running platform polls it and reloads.
"""

from __future__ import annotations

import enum
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..clock import Clock
from ..domain.money import Money
from .admin import AdminError
from .ports import AccountStore

__all__ = [
    "MAX_BINDS",
    "BindType",
    "ConcatKind",
    "ConnectorSpec",
    "RateLimit",
    "Reprice",
    "RouteCharges",
    "RoutePrice",
    "RouteSpec",
    "RoutingAdmin",
    "RoutingConfig",
    "RoutingStore",
    "TextEncoding",
    "parse_config_file",
]

MAX_BINDS = 16
MAX_ROUTE_CONNECTORS = 8
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class BindType(enum.StrEnum):
    TRANSCEIVER = "transceiver"
    TRANSMITTER = "transmitter"
    RECEIVER = "receiver"


class ConcatKind(enum.StrEnum):
    UDH8 = "udh8"
    UDH16 = "udh16"
    SAR = "sar"
    PAYLOAD = "payload"


class TextEncoding(enum.StrEnum):
    """What a connector accepts: GSM7 (else UCS2), Latin-1 where GSM7 cannot, or UCS2 always."""

    GSM7 = "gsm7"
    LATIN1 = "latin1"
    UCS2_ONLY = "ucs2-only"


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"connector name must be 1..32 of A-Z a-z 0-9 _ . -: {name!r}")
    return name


def _check_prefix(prefix: str) -> str:
    if prefix and not (prefix.isdigit() and len(prefix) <= 16):
        raise ValueError(f"route prefix must be up to 16 digits: {prefix!r}")
    return prefix


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    name: str
    host: str
    port: int
    system_id: str
    password: str
    bind: BindType = BindType.TRANSCEIVER
    window: int = 10
    throughput: float | None = None  # parts per second, all binds together; None = unlimited
    concat: ConcatKind = ConcatKind.UDH8
    encoding: TextEncoding = TextEncoding.GSM7
    binds: int = 1
    system_type: str = ""
    source_ton: int | None = None  # None = by the sender's form
    source_npi: int | None = None
    dest_ton: int = 1
    dest_npi: int = 1

    def __post_init__(self) -> None:
        check_name(self.name)
        checks = (
            ("host", bool(self.host) and len(self.host) <= 255),
            ("port", 0 < self.port <= 65535),
            ("system_id", len(self.system_id) <= 15),  # SMPP 3.4 §4.1.1: C-Octet String(16)
            ("password", len(self.password) <= 8),  # §4.1.1: C-Octet String(9)
            ("window", 1 <= self.window <= 10_000),
            ("throughput", self.throughput is None or 0 < self.throughput <= 100_000),
            ("binds", 1 <= self.binds <= MAX_BINDS),
            ("source_ton", self.source_ton is None or 0 <= self.source_ton <= 6),
            ("source_npi", self.source_npi is None or 0 <= self.source_npi <= 18),
            ("dest_ton", 0 <= self.dest_ton <= 6),
            ("dest_npi", 0 <= self.dest_npi <= 18),
        )
        for key, ok in checks:
            if not ok:
                raise ValueError(f"connector {self.name!r}: invalid {key}")
        object.__setattr__(self, "bind", BindType(self.bind))
        object.__setattr__(self, "concat", ConcatKind(self.concat))
        object.__setattr__(self, "encoding", TextEncoding(self.encoding))

    def per_bind_throughput(self) -> float | None:
        return None if self.throughput is None else self.throughput / self.binds


@dataclass(frozen=True, slots=True)
class RouteSpec:
    prefix: str  # digits; "" = every destination
    connectors: tuple[str, ...]  # names, highest priority first
    account_id: int | None = None  # None = every account
    operator: str = ""  # "" = any operator; else the carrier name from numbering data
    failover_on_undeliv: bool = False
    account: str = ""  # the account's login (display only)

    def __post_init__(self) -> None:
        _check_prefix(self.prefix)
        if not 1 <= len(self.connectors) <= MAX_ROUTE_CONNECTORS:
            raise ValueError(f"a route names 1..{MAX_ROUTE_CONNECTORS} connectors")
        for name in self.connectors:
            check_name(name)
        if len(set(self.connectors)) != len(self.connectors):
            raise ValueError("a route names each connector once")
        if len(self.operator) > 64:
            raise ValueError("operator name too long")

    @property
    def key(self) -> tuple[str, int | None, str]:
        return (self.prefix, self.account_id, self.operator)


@dataclass(frozen=True, slots=True)
class RoutePrice:
    connector: str
    prefix: str
    price: Money  # per part

    def __post_init__(self) -> None:
        check_name(self.connector)
        _check_prefix(self.prefix)
        if self.price.micros <= 0:
            raise ValueError("price must be positive")


@dataclass(frozen=True, slots=True)
class RateLimit:
    account_id: int
    sender: str  # "" = the whole account
    parts_per_s: float
    account: str = ""  # login (display only)

    def __post_init__(self) -> None:
        if not 0 < self.parts_per_s <= 100_000:
            raise ValueError("a limit is 0 < parts per second <= 100000")


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    version: str
    connectors: tuple[ConnectorSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    prices: tuple[RoutePrice, ...] = ()
    limits: tuple[RateLimit, ...] = ()


@dataclass(frozen=True, slots=True)
class Reprice:
    """``message_id`` went out through a route priced ``price`` per part (``None``: its list
    price stays) in ``parts`` parts (the connector's encoding may cut another count)."""

    message_id: int
    price: Money | None
    parts: int

    def __post_init__(self) -> None:
        if self.parts < 1:
            raise ValueError("a message has at least one part")


class RouteCharges(Protocol):
    async def reprice(self, items: Sequence[Reprice], now: datetime) -> None:
        """In one transaction: for each message whose stored price or part count differs,
        charge (or refund) new price x new parts - old price x old parts, with a ledger row,
        and store the new price and part count."""
        ...


class RoutingStore(RouteCharges, Protocol):
    async def version(self) -> str: ...
    async def load(self) -> RoutingConfig: ...
    async def put_connector(self, spec: ConnectorSpec) -> None: ...
    async def remove_connector(self, name: str) -> bool: ...
    async def put_route(self, spec: RouteSpec) -> None: ...
    async def put_all(
        self, connectors: Sequence[ConnectorSpec], routes: Sequence[RouteSpec]
    ) -> None: ...
    async def remove_route(self, prefix: str, account_id: int | None, operator: str) -> bool: ...
    async def put_route_price(self, price: RoutePrice) -> None: ...
    async def set_limit(self, account_id: int, sender: str, parts_per_s: float | None) -> None: ...


@dataclass(frozen=True, slots=True)
class FileConfig:
    connectors: tuple[ConnectorSpec, ...] = ()
    routes: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def parse_config_file(text: str, fmt: str) -> FileConfig:
    """Connectors and routes from TOML (``[[connector]]``, ``[[route]]``) or JSON
    (``{"connector": [...], "route": [...]}``). Raises ``ValueError`` naming the bad entry."""
    try:
        data = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot parse {fmt}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("the file must hold an object with 'connector' and 'route' lists")
    unknown = set(data) - {"connector", "route"}
    if unknown:
        raise ValueError(f"unknown sections: {', '.join(sorted(unknown))}")
    specs: list[ConnectorSpec] = []
    for i, raw in enumerate(_entries(data, "connector")):
        try:
            specs.append(ConnectorSpec(**raw))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"connector #{i + 1}: {exc}") from exc
    routes = tuple(_entries(data, "route"))
    return FileConfig(tuple(specs), routes)


def _entries(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"'{key}' must be a list of tables")
    return items


class RoutingAdmin:
    """The operator's use cases (the CLI's): connectors, routes, route prices, limits."""

    def __init__(self, store: RoutingStore, accounts: AccountStore, clock: Clock) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock

    async def _account_id(self, login: str) -> int:
        record = await self._accounts.find_by_login(login)
        if record is None:
            raise AdminError(f"no account with login {login!r}")
        return record.account.id

    async def add_connector(self, spec: ConnectorSpec) -> ConnectorSpec:
        await self._store.put_connector(spec)
        return spec

    async def remove_connector(self, name: str) -> None:
        config = await self._store.load()
        users = [r.prefix or "(any)" for r in config.routes if name in r.connectors]
        if users:
            raise AdminError(f"connector {name!r} is used by routes: {', '.join(users)}")
        if not await self._store.remove_connector(name):
            raise AdminError(f"no connector named {name!r}")

    async def add_route(
        self,
        prefix: str,
        connectors: Sequence[str],
        *,
        account: str | None = None,
        operator: str = "",
        failover_on_undeliv: bool = False,
    ) -> RouteSpec:
        spec = await self._route_spec(prefix, connectors, account, operator, failover_on_undeliv)
        self._check_connectors(spec, {c.name for c in (await self._store.load()).connectors})
        await self._store.put_route(spec)
        return spec

    async def _route_spec(
        self,
        prefix: str,
        connectors: Sequence[str],
        account: str | None,
        operator: str,
        failover_on_undeliv: bool,
    ) -> RouteSpec:
        try:
            return RouteSpec(
                prefix=prefix,
                connectors=tuple(connectors),
                account_id=await self._account_id(account) if account else None,
                operator=operator,
                failover_on_undeliv=failover_on_undeliv,
                account=account or "",
            )
        except ValueError as exc:
            raise AdminError(str(exc)) from exc

    @staticmethod
    def _check_connectors(spec: RouteSpec, known: set[str]) -> None:
        missing = [n for n in spec.connectors if n not in known]
        if missing:
            raise AdminError(f"no connector named {', '.join(repr(m) for m in missing)}")

    async def remove_route(
        self, prefix: str, *, account: str | None = None, operator: str = ""
    ) -> None:
        account_id = await self._account_id(account) if account else None
        if not await self._store.remove_route(prefix, account_id, operator):
            raise AdminError(f"no such route: {prefix or '(any)'}")

    async def set_route_price(self, connector: str, prefix: str, price: Money) -> RoutePrice:
        try:
            entry = RoutePrice(connector, prefix, price)
        except ValueError as exc:
            raise AdminError(str(exc)) from exc
        await self._store.put_route_price(entry)
        return entry

    async def set_limit(self, login: str, parts_per_s: float | None, sender: str = "") -> None:
        if parts_per_s is not None and not 0 < parts_per_s <= 100_000:
            raise AdminError("a limit is 0 < parts per second <= 100000 (0 removes it)")
        await self._store.set_limit(await self._account_id(login), sender, parts_per_s)

    async def load_file(self, text: str, fmt: str) -> tuple[int, int]:
        """Add or replace the file's connectors, then its routes; returns their counts.

        All or nothing: every entry is checked first (a route may name a connector of the
        file or one already stored), then everything is stored in one transaction; a file
        with any bad entry stores nothing."""
        try:
            parsed = parse_config_file(text, fmt)
        except ValueError as exc:
            raise AdminError(str(exc)) from exc
        known = {c.name for c in (await self._store.load()).connectors}
        known |= {c.name for c in parsed.connectors}
        routes: list[RouteSpec] = []
        for i, raw in enumerate(parsed.routes):
            try:
                prefix = str(raw.get("prefix", ""))
                spec = await self._route_spec(
                    "" if prefix == "*" else prefix,
                    list(raw.get("connectors", [])),
                    raw.get("account"),
                    str(raw.get("operator", "")),
                    bool(raw.get("failover_on_undeliv", False)),
                )
                self._check_connectors(spec, known)
            except AdminError as exc:
                raise AdminError(f"route #{i + 1}: {exc}") from exc
            routes.append(spec)
        await self._store.put_all(parsed.connectors, routes)
        return len(parsed.connectors), len(routes)

    async def config(self) -> RoutingConfig:
        return await self._store.load()
