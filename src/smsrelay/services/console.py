"""Use cases of the operator console (``/admin/``) beyond what the CLI's services offer:
what the platform is doing right now, and account administration from a browser.

Rates are computed from samples, not from scanning messages: the newest message id (the
accepted count) and the connectors' own counters (submits, receipts) are read each time the
Live page asks, and the rate is the difference from the previous sample. The connector
states come from a callable that ``bootstrap`` provides (the web side never sees a
connector object).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..clock import Clock
from ..domain.money import Money
from .auth import hash_password, new_token

__all__ = [
    "REPORT_GROUPS",
    "AccountSummary",
    "ConnectorStatus",
    "ConsoleQueries",
    "ConsoleService",
    "LiveSnapshot",
    "ReportRow",
]


@dataclass(frozen=True, slots=True)
class ConnectorStatus:
    """One bind of a carrier connector as the Live page shows it."""

    name: str
    state: str  # the link state word (bound, connecting, backoff...)
    ready: bool
    window: int
    in_flight: int
    submitted: int
    receipts: int
    reconnects: int
    host: str = ""
    since: datetime | None = None  # when the console first saw the link in this state
    submit_rate: float = 0.0  # submits per second between the last two looks
    last_error: str = ""  # the last reason the link failed, as the connector saw it


@dataclass(frozen=True, slots=True)
class AccountSummary:
    id: int
    login: str
    balance: Money
    locked: bool
    active: bool
    any_sender: bool
    parent_login: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    at: datetime
    accepted_per_s: float
    submitted_per_s: float
    final_per_s: float
    queue: dict[str, int]
    webhook_backlog: int
    connectors: list[ConnectorStatus] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReportRow:
    """Traffic and money of one group (a day, an account, an area or a connector)."""

    key: str
    messages: int
    parts: int
    delivered: int
    revenue: Money  # list price × parts of messages not refused or cancelled


REPORT_GROUPS = ("day", "account", "area", "connector")
#: Hours from Moscow an account's zone may be (UTC-12 .. UTC+14), as the CLI allows.
MIN_TZ_OFFSET, MAX_TZ_OFFSET = -15, 11


class ConsoleQueries(Protocol):
    async def newest_message_id(self) -> int: ...
    async def queue_depth(self) -> dict[str, int]:
        """Messages not final yet, by status."""
        ...

    async def webhook_backlog(self) -> int: ...
    async def search_accounts(self, text: str, limit: int) -> list[AccountSummary]: ...
    async def set_password_hash(self, account_id: int, password_hash: str) -> None: ...
    async def set_token(self, account_id: int, token: str) -> None: ...
    async def set_tz_offset(self, account_id: int, hours: int) -> None: ...
    async def report(self, since: datetime, until: datetime, group: str) -> list[ReportRow]:
        """Messages created on the UTC days from ``since`` (a midnight) to before ``until`` (a
        midnight), grouped by ``day``, ``account`` (login), ``area`` (stored at acceptance,
        "" when none) or ``connector``, from summaries (fast over a year of traffic)."""
        ...


ConnectorSource = Callable[[], Sequence[ConnectorStatus]]


class ConsoleService:
    def __init__(
        self, queries: ConsoleQueries, clock: Clock, connectors: ConnectorSource | None = None
    ) -> None:
        self._q = queries
        self._clock = clock
        self._connectors = connectors or (lambda: [])
        self._last: tuple[float, int, int, int] | None = None  # (monotonic, ids, submits, finals)
        self._per_bind: dict[str, tuple[float, int]] = {}  # bind -> (monotonic, submits)

    async def live(self) -> LiveSnapshot:
        now_mono = self._clock.monotonic()
        conns = []
        for i, c in enumerate(self._connectors()):
            key = f"{i}:{c.name}"
            last = self._per_bind.get(key)
            rate = 0.0
            if last is not None and now_mono > last[0]:
                rate = max(c.submitted - last[1], 0) / (now_mono - last[0])
            self._per_bind[key] = (now_mono, c.submitted)
            conns.append(dataclasses.replace(c, submit_rate=rate))
        newest = await self._q.newest_message_id()
        submits = sum(c.submitted for c in conns)
        finals = sum(c.receipts for c in conns)
        now = self._clock.monotonic()
        rates = (0.0, 0.0, 0.0)
        if self._last is not None and now > self._last[0]:
            dt = now - self._last[0]
            rates = (
                max(newest - self._last[1], 0) / dt,
                max(submits - self._last[2], 0) / dt,
                max(finals - self._last[3], 0) / dt,
            )
        self._last = (now, newest, submits, finals)
        return LiveSnapshot(
            at=self._clock.now(),
            accepted_per_s=rates[0],
            submitted_per_s=rates[1],
            final_per_s=rates[2],
            queue=await self._q.queue_depth(),
            webhook_backlog=await self._q.webhook_backlog(),
            connectors=conns,
        )

    async def search_accounts(self, text: str = "", limit: int = 100) -> list[AccountSummary]:
        return await self._q.search_accounts(text.strip()[:64], limit)

    async def report(self, since: datetime, until: datetime, group: str) -> list[ReportRow]:
        """The report by ``group`` (one of :data:`REPORT_GROUPS`) over whole UTC days; the
        area is the price entry's area stored with each message at acceptance ("?" when it
        had none). By area, the largest revenue first; otherwise by key."""
        if group not in REPORT_GROUPS:
            raise ValueError(f"unknown report group {group!r}")
        rows = await self._q.report(since, until, group)
        if group != "area":
            return rows
        named = [dataclasses.replace(r, key=r.key or "?") for r in rows]
        return sorted(named, key=lambda r: (-r.revenue.micros, r.key))

    async def reset_password(self, account_id: int, password: str) -> None:
        if len(password) < 6:
            raise ValueError("password too short")
        await self._q.set_password_hash(
            account_id, await asyncio.to_thread(hash_password, password)
        )

    async def set_time_zone(self, account_id: int, hours_from_moscow: int) -> None:
        """The account's zone as whole hours from Moscow (X18), as ``account timezone``."""
        if not MIN_TZ_OFFSET <= hours_from_moscow <= MAX_TZ_OFFSET:
            raise ValueError("time zone out of range")
        await self._q.set_tz_offset(account_id, hours_from_moscow)

    async def rotate_token(self, account_id: int) -> str:
        token = new_token()
        await self._q.set_token(account_id, token)
        return token
