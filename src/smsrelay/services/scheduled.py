"""Messages waiting for their ``time_send`` (X15) and cancelling them (X16).

A message is scheduled from its acceptance until the engine's tick releases it to the queue.
Cancelling is a status change ``scheduled -> cancelled`` (``domain.status``) made in the same
transaction as the refund of everything it was charged (price x parts, one ledger row), and only
while the message is still ``scheduled``: one the engine already released is not found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Protocol

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.messages import Channel, MessageKind
from .bases import ChangeResult, page_count
from .localtime import to_local

__all__ = [
    "SCHEDULED_PAGE_SIZE",
    "ScheduledMessage",
    "ScheduledPage",
    "ScheduledService",
    "ScheduledStore",
]

#: Scheduled messages per X15 page (the spec gives no size; see docs/compatibility.md).
SCHEDULED_PAGE_SIZE: Final = 100


@dataclass(frozen=True, slots=True)
class ScheduledMessage:
    id: int
    queued_at: datetime  # time_put_turn
    sender: str
    phone: str
    channel: Channel
    kind: MessageKind
    text: str
    parts: int
    due_at: datetime  # time_send
    valid_until: datetime
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name_delivery(self) -> str | None:
        return self.extra.get("name_delivery") or None


@dataclass(frozen=True, slots=True)
class ScheduledPage:
    page: int
    num_pages: int
    messages: list[ScheduledMessage]  # times in the account's local time (naive)


class ScheduledStore(Protocol):
    async def scheduled_page(
        self, account_id: int, offset: int, limit: int
    ) -> tuple[int, list[ScheduledMessage]]:
        """(total scheduled, the slice ordered by due time then id)."""
        ...

    async def cancel_scheduled(
        self, account_id: int, ids: Sequence[int], now: datetime
    ) -> set[int]:
        """Cancel and refund those of ``ids`` that are the account's and still scheduled,
        in one transaction; the ids cancelled."""
        ...


class ScheduledService:
    def __init__(self, store: ScheduledStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def page(self, account: Account, page: int) -> ScheduledPage:
        total, rows = await self._store.scheduled_page(
            account.id, (page - 1) * SCHEDULED_PAGE_SIZE, SCHEDULED_PAGE_SIZE
        )
        local = [
            dataclasses.replace(
                m,
                queued_at=to_local(m.queued_at, account),
                due_at=to_local(m.due_at, account),
                valid_until=to_local(m.valid_until, account),
            )
            for m in rows
        ]
        return ScheduledPage(page, page_count(total, SCHEDULED_PAGE_SIZE), local)

    async def cancel(self, account: Account, ids: Sequence[int | None]) -> list[ChangeResult]:
        """One result per requested id in order: ``DELETE`` the first time an id is
        cancelled, ``NOT_FOUND`` otherwise (unknown, foreign, released, repeated, None)."""
        wanted = sorted({i for i in ids if i is not None})
        cancelled = await self._store.cancel_scheduled(account.id, wanted, self._clock.now())
        results: list[ChangeResult] = []
        for i in ids:
            if i is not None and i in cancelled:
                cancelled.discard(i)
                results.append(ChangeResult.DELETE)
            else:
                results.append(ChangeResult.NOT_FOUND)
        return results
