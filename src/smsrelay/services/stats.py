"""Use cases: statistics of an account's messages (docs/statistics.md).

* :meth:`StatsService.summary`: counts per day x status x destination area x sender x campaign
  (any subset of those dimensions), from the summary table the database keeps up to date
  (``store/schema_stats.py``): never a scan of ``messages``.
* :meth:`StatsService.messages`: W1 ``/xml/stats.php``, one row per message of the last three
  months matching the filters (period, status word, sender, phone, operator, hours of day).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Protocol

import structlog

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.money import Money
from ..domain.status import MessageStatus

__all__ = [
    "DIMENSIONS",
    "Dimension",
    "MessageFilter",
    "MessageRow",
    "StatsError",
    "StatsFolder",
    "StatsService",
    "StatsStore",
    "SummaryRow",
]

log = structlog.get_logger("smsrelay.stats")

#: W1 looks back at most this far (spec §7 "last 3 months only").
HISTORY: Final = timedelta(days=92)
#: Most rows one W1 answer lists (bounded answer; the spec gives no paging).
MAX_ROWS: Final = 10_000


class StatsError(Exception):
    """A statistics request cannot be answered (bad date, unknown dimension...)."""


class Dimension(enum.StrEnum):
    DAY = "day"
    STATUS = "status"
    AREA = "area"
    SENDER = "sender"
    CAMPAIGN = "campaign"


DIMENSIONS: Final = tuple(Dimension)


@dataclass(frozen=True, slots=True)
class SummaryRow:
    key: tuple[str, ...]  # the values of the requested dimensions, in their order
    messages: int
    parts: int
    cost: Money


@dataclass(frozen=True, slots=True)
class MessageFilter:
    since: datetime  # UTC, inclusive
    until: datetime  # UTC, exclusive
    statuses: frozenset[MessageStatus] | None = None
    sender: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    phone: str
    sender: str
    text: str
    status: MessageStatus
    status_at: datetime | None
    created_at: datetime
    parts: int
    price: Money
    campaign: str


class StatsStore(Protocol):
    async def summary(
        self, account_id: int, first: date, last: date, group_by: Sequence[Dimension]
    ) -> list[SummaryRow]: ...
    async def messages(
        self, account_id: int, where: MessageFilter, limit: int
    ) -> list[MessageRow]: ...
    async def fold(self, limit: int) -> int: ...


class StatsService:
    def __init__(self, store: StatsStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def summary(
        self,
        account: Account,
        first: date | None = None,
        last: date | None = None,
        group_by: Sequence[str] = ("day", "status"),
    ) -> list[SummaryRow]:
        """Counts for the account's messages created on UTC days ``first``..``last``
        (default: the last 31 days), grouped by ``group_by`` (names of :class:`Dimension`)."""
        try:
            dims = [Dimension(g) for g in dict.fromkeys(group_by)]
        except ValueError as exc:
            raise StatsError(f"group by one of {', '.join(DIMENSIONS)}") from exc
        today = self._clock.now().date()
        last = last or today
        first = first or last - timedelta(days=30)
        if first > last:
            raise StatsError("the period starts after it ends")
        return await self._store.summary(account.id, first, last, dims)

    async def messages(
        self,
        account: Account,
        where: MessageFilter,
        hours: tuple[time, time] | None = None,
        local_offset: timedelta = timedelta(0),
    ) -> list[MessageRow]:
        """W1: the account's messages in the period (clamped to the last three months), sent
        between ``hours`` (local time of day, inclusive) if given."""
        now = self._clock.now()
        since = max(where.since, now - HISTORY)
        if since >= where.until:
            return []
        rows = await self._store.messages(
            account.id,
            MessageFilter(since, where.until, where.statuses, where.sender, where.phone),
            MAX_ROWS,
        )
        if hours is None:
            return rows
        start, end = hours
        return [r for r in rows if start <= (r.created_at + local_offset).time() <= end]

    def now(self) -> datetime:
        return self._clock.now()

    async def fold(self, limit: int = 50_000) -> int:
        """Fold pending deltas into the summary; how many were folded."""
        return await self._store.fold(limit)


class StatsFolder:
    """Background worker: folds the statistics deltas every ``interval`` seconds, so the
    delta log stays short and summary answers stay fast."""

    def __init__(self, stats: StatsService, interval: float = 5.0) -> None:
        self._stats = stats
        self._interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="stats-folder")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                while await self._stats.fold() and not self._stop.is_set():
                    pass
            except Exception:  # keep folding later: the deltas wait, answers stay exact
                log.exception("stats_fold_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)
