"""Use cases of the client cabinet (``/lk/``): what an account may see of its own traffic.

Every method takes the logged-in :class:`Account` and passes only its id to the store, so a
page or an export can never name another account's rows (the scoping tests in ``tests/web``
try). The queries behind the ports are written for millions of messages: history pages walk
``(account_id, id)`` by keyset (``before`` the last id shown), never OFFSET; the CSV export
streams the same walk in chunks.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Protocol

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.money import Money
from ..domain.status import MessageStatus
from .localtime import from_local, local_offset_hours, to_local
from .ports import AccountStore

__all__ = [
    "CabinetQueries",
    "CabinetService",
    "Child",
    "DayStats",
    "HistoryFilter",
    "HistoryPage",
    "HistoryRow",
    "MessageDetail",
    "PartRow",
    "StatementRow",
    "StatusGroup",
    "group_of",
]

#: Rows per history page and per chunk of a streamed export.
PAGE_SIZE: Final = 50
EXPORT_CHUNK: Final = 2000


class StatusGroup(enum.StrEnum):
    """What a client filters and charts by: the final outcome, or still on its way."""

    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"
    PENDING = "pending"


_GROUP_OF: Final[dict[MessageStatus, StatusGroup]] = {
    MessageStatus.DELIVERED: StatusGroup.DELIVERED,
    MessageStatus.READ: StatusGroup.DELIVERED,
    MessageStatus.UNDELIVERED: StatusGroup.UNDELIVERED,
    MessageStatus.PARTLY_DELIVERED: StatusGroup.UNDELIVERED,
    MessageStatus.EXPIRED: StatusGroup.EXPIRED,
    MessageStatus.REJECTED: StatusGroup.REJECTED,
    MessageStatus.CANCELLED: StatusGroup.REJECTED,
    MessageStatus.SCHEDULED: StatusGroup.PENDING,
    MessageStatus.QUEUED: StatusGroup.PENDING,
    MessageStatus.SUBMITTING: StatusGroup.PENDING,
    MessageStatus.SUBMITTED: StatusGroup.PENDING,
}


def group_of(status: MessageStatus) -> StatusGroup:
    return _GROUP_OF[status]


def statuses_of(group: StatusGroup) -> tuple[MessageStatus, ...]:
    return tuple(s for s, g in _GROUP_OF.items() if g is group)


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """A history query; every field optional. Instants are aware UTC (the page converts the
    account's local dates)."""

    since: datetime | None = None
    until: datetime | None = None  # exclusive
    group: StatusGroup | None = None
    phone: str = ""  # digits; a prefix matches
    sender: str = ""
    campaign: str = ""

    def __post_init__(self) -> None:
        if len(self.phone) > 20 or len(self.sender) > 64 or len(self.campaign) > 128:
            raise ValueError("filter value too long")
        if self.phone and not self.phone.isdigit():
            raise ValueError("phone filter must be digits")


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: int
    created_at: datetime
    phone: str
    sender: str
    text: str
    channel: str
    parts: int
    price: Money  # per part
    status: MessageStatus
    status_at: datetime | None
    campaign: str = ""

    @property
    def cost(self) -> Money:
        return self.price * self.parts


@dataclass(frozen=True, slots=True)
class HistoryPage:
    rows: list[HistoryRow]
    next_before: int | None  # the keyset cursor of the next (older) page


@dataclass(frozen=True, slots=True)
class PartRow:
    part_no: int
    connector: str
    carrier_id: str
    state: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class MessageDetail:
    row: HistoryRow
    client_id_sms: str | None
    valid_until: datetime
    connector: str | None
    attempts: int
    parts: list[PartRow] = field(default_factory=list)
    webhook_attempts: list[tuple[datetime, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DayStats:
    """Messages created on one day (the account's local date), by status group, and what they
    cost."""

    day: date
    counts: dict[StatusGroup, int]
    spent: Money

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class StatementRow:
    id: int
    at: datetime
    kind: str
    amount: Money
    balance_after: Money
    message_id: int | None


@dataclass(frozen=True, slots=True)
class Child:
    """A reseller's sub-account as the cabinet lists it."""

    id: int
    login: str
    balance: Money
    locked: bool


class CabinetQueries(Protocol):
    async def history(
        self, account_id: int, flt: HistoryFilter, before: int | None, limit: int
    ) -> list[HistoryRow]:
        """Newest first, ids below ``before``; only ``account_id``'s messages."""
        ...

    async def detail(self, account_id: int, message_id: int) -> MessageDetail | None: ...

    async def daily(self, account_id: int, since: datetime, offset_hours: int) -> list[DayStats]:
        """Per local day (UTC + ``offset_hours``) from ``since`` (an aware UTC instant on a
        whole hour) on; days without messages left out."""
        ...

    async def statement(
        self, account_id: int, before: int | None, limit: int
    ) -> list[StatementRow]:
        """Newest first; ``balance_after`` is the running balance after each movement."""
        ...

    async def children(self, parent_id: int) -> list[Child]:
        """A reseller's sub-accounts with their balances and 30-day message counts."""
        ...


#: Days older than this are settled: every message of theirs is final (validity periods
#: are shorter), so their counts never change again and are kept in memory once read.
SETTLED_AFTER: Final = timedelta(days=3)
_MAX_SETTLED: Final = 200_000


class CabinetService:
    def __init__(
        self,
        queries: CabinetQueries,
        accounts: AccountStore,
        clock: Clock,
        settled_after: timedelta = SETTLED_AFTER,
    ) -> None:
        self._q = queries
        self._accounts = accounts
        self._clock = clock
        self._settled_after = settled_after
        # (account id, hours from UTC, local day) -> that settled day's stats (None: none)
        self._settled: dict[tuple[int, int, date], DayStats | None] = {}

    async def account(self, account_id: int) -> Account | None:
        """The account as stored now (balance, lock, language), for each page."""
        return await self._accounts.get(account_id)

    async def history(
        self, account: Account, flt: HistoryFilter, before: int | None = None
    ) -> HistoryPage:
        rows = await self._q.history(account.id, flt, before, PAGE_SIZE + 1)
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        return HistoryPage(rows, rows[-1].id if more and rows else None)

    async def export(self, account: Account, flt: HistoryFilter) -> AsyncIterator[HistoryRow]:
        """Every matching message, newest first, read in chunks (memory stays flat)."""
        before: int | None = None
        while True:
            rows = await self._q.history(account.id, flt, before, EXPORT_CHUNK)
            for row in rows:
                yield row
            if len(rows) < EXPORT_CHUNK:
                return
            before = rows[-1].id

    async def detail(self, account: Account, message_id: int) -> MessageDetail | None:
        return await self._q.detail(account.id, message_id)

    async def daily(self, account: Account, days: int = 30) -> list[DayStats]:
        """Per local day of the account (its zone: Moscow + its offset, X18) over the last
        ``days`` days, today included. Settled days are read once per process and zone and then
        served from memory; recent days are always read."""
        offset = local_offset_hours(account)
        local_now = to_local(self._clock.now(), account)
        local_midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        midnight = from_local(local_midnight, account)  # aware UTC
        first = midnight - timedelta(days=days - 1)
        settled_until = midnight - self._settled_after  # days before this one are settled
        today = local_midnight.date()
        wanted = [today - timedelta(days=days - 1 - i) for i in range(days)]
        settled_day = today - timedelta(days=self._settled_after.days)
        old = [d for d in wanted if d < settled_day]
        known = all((account.id, offset, d) in self._settled for d in old)
        since = settled_until if known and old else first
        fresh = await self._q.daily(account.id, max(since, first), offset)
        by_day = {s.day: s for s in fresh}
        if not known:
            if len(self._settled) > _MAX_SETTLED:
                self._settled.clear()
            for d in old:
                self._settled[account.id, offset, d] = by_day.get(d)
        out = [s for d in old if (s := self._settled.get((account.id, offset, d))) is not None]
        out += [s for s in fresh if s.day >= settled_day]
        return out

    async def statement(
        self, account: Account, before: int | None = None, limit: int = PAGE_SIZE
    ) -> list[StatementRow]:
        return await self._q.statement(account.id, before, limit)

    async def children(self, account: Account) -> list[Child]:
        return await self._q.children(account.id)

    async def statement_all(self, account: Account) -> AsyncIterator[StatementRow]:
        before: int | None = None
        while True:
            rows = await self._q.statement(account.id, before, EXPORT_CHUNK)
            for row in rows:
                yield row
            if len(rows) < EXPORT_CHUNK:
                return
            before = rows[-1].id


_ = Sequence
