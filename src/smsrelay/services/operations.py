"""Operations: is the process alive, is it ready to deliver, and what is it doing.

``/health`` answers while the process lives. ``/ready`` answers ready when the database
answers and carries every migration, and every connector that a route names (every
connector, without explicit routes) has at least one bound bind; otherwise it lists the
reasons. ``status`` is what ``smsrelay status`` shows: binds, rates, queue, webhook backlog,
receipts overdue, and sections other features add (customer SMPP binds: :meth:`add_section`).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..clock import Clock
from .ownership import ConnectorLeaseStore
from .ports import BindStatus

__all__ = [
    "LinkSource",
    "OperationsFacts",
    "OperationsService",
    "OperationsStore",
    "Readiness",
    "connector_owners",
]


class OperationsStore(Protocol):
    async def schema_problem(self) -> str | None: ...
    async def queue_depth(self) -> dict[str, int]: ...
    async def webhook_backlog(self) -> int: ...
    async def receipts_overdue(self, submitted_before: datetime) -> int: ...


class LinkSource(Protocol):
    """The carrier binds of this process (the delivery engine's connectors)."""

    def binds(self) -> list[BindStatus]: ...

    def routed(self) -> set[str]:
        """Connector names that routes use (every connector when no route is configured)."""
        ...

    def rates(self) -> dict[str, tuple[float, float]]:
        """Per connector: (submit_sm per second, receipts per second) over the last minute."""
        ...

    def problem(self) -> str | None:
        """Why these binds cannot be known now (None: they can). A process without an engine
        reads the engine process's snapshot; a stale one is a problem."""
        ...


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    reasons: tuple[str, ...] = ()
    checks: Mapping[str, bool] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not ready",
            "reasons": list(self.reasons),
            "checks": dict(self.checks),
        }


@dataclass(frozen=True, slots=True)
class OperationsFacts:
    queue: Mapping[str, int]
    webhook_backlog: int
    receipts_overdue: int


Section = Callable[[], Awaitable[Any]]


class OperationsService:
    def __init__(
        self,
        store: OperationsStore,
        clock: Clock,
        links: LinkSource | None = None,
        *,
        receipt_overdue_after: timedelta = timedelta(hours=1),
        bound_elsewhere: Callable[[str], bool] | None = None,
    ) -> None:
        self._store = store
        # several nodes: a connector bound on another node counts as bound (docs/scaling.md)
        self._elsewhere = bound_elsewhere
        self._clock = clock
        self._links = links
        self._overdue_after = receipt_overdue_after
        self._started = clock.now()
        self._sections: dict[str, Section] = {}

    def add_section(self, name: str, read: Section) -> None:
        """Another feature's part of the status (e.g. ``customer_binds`` of the SMPP server):
        ``read`` returns JSON-able data."""
        self._sections[name] = read

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "pid": os.getpid(), "started_at": _iso(self._started)}

    async def ready(self) -> Readiness:
        reasons: list[str] = []
        checks: dict[str, bool] = {}
        problem = await self._store.schema_problem()
        checks["database"] = problem is None
        if problem is not None:
            reasons.append(problem)
        if self._links is not None:
            unknown = self._links.problem()
            if unknown is not None:  # another process's binds, not known now
                checks["delivery"] = False
                reasons.append(unknown)
            bound: dict[str, bool] = {}
            for b in self._links.binds():
                bound[b.connector] = bound.get(b.connector, False) or b.bound
            for name in sorted(self._links.routed()):
                ok = bound.get(name, False) or (
                    self._elsewhere is not None and self._elsewhere(name)
                )
                checks[f"connector:{name}"] = ok
                if not ok:
                    reasons.append(f"connector {name} has no bound bind")
        return Readiness(not reasons, tuple(reasons), checks)

    async def facts(self) -> OperationsFacts:
        store = self._store
        return OperationsFacts(
            queue=await store.queue_depth(),
            webhook_backlog=await store.webhook_backlog(),
            receipts_overdue=await store.receipts_overdue(self._clock.now() - self._overdue_after),
        )

    async def status(self) -> dict[str, Any]:
        """Everything ``smsrelay status --json`` prints (documented in docs/operations.md)."""
        facts = await self.facts()
        readiness = await self.ready()
        out: dict[str, Any] = {
            "process": self.health(),
            "ready": readiness.as_json(),
            "connectors": self._connectors(),
            "queue": dict(facts.queue),
            "webhook_backlog": facts.webhook_backlog,
            "receipts_overdue": facts.receipts_overdue,
            "receipt_overdue_after_s": self._overdue_after.total_seconds(),
        }
        for name, read in self._sections.items():
            out[name] = await read()
        return out

    def _connectors(self) -> list[dict[str, Any]]:
        if self._links is None:
            return []
        rates = self._links.rates()
        routed = self._links.routed()
        grouped: dict[str, list[BindStatus]] = {}
        for b in self._links.binds():
            grouped.setdefault(b.connector, []).append(b)
        return [
            {
                "name": name,
                "routed": name in routed,
                "submit_rate": round(rates.get(name, (0.0, 0.0))[0], 2),
                "receipt_rate": round(rates.get(name, (0.0, 0.0))[1], 2),
                "binds": [_bind_json(b) for b in binds],
            }
            for name, binds in sorted(grouped.items())
        ]


def _bind_json(b: BindStatus) -> dict[str, Any]:
    return {
        "bind": b.bind,
        "state": b.state,
        "bound_since": _iso(b.bound_since) if b.bound_since else None,
        "window_in_use": b.window_in_use,
        "window": b.window,
        "submitted": b.submitted,
        "receipts": b.receipts,
        "last_error": b.last_error,
    }


def connector_owners(store: ConnectorLeaseStore, clock: Clock) -> Section:
    """The ``connector_owners`` status section: which node runs each connector's binds, until
    when its lease holds, and what that node last reported of its binds."""

    async def read() -> list[dict[str, Any]]:
        now = clock.now()
        return [
            {
                "connector": lease.connector,
                "owner": lease.owner if lease.held(now) else None,
                "expires_at": _iso(lease.expires_at),
                "acquired_at": _iso(lease.acquired_at) if lease.acquired_at else None,
                "heartbeat_at": _iso(lease.heartbeat_at) if lease.heartbeat_at else None,
                "bound": lease.bound if lease.held(now) else 0,
                "last_error": lease.last_error,
            }
            for lease in await store.leases()
        ]

    return read


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")
