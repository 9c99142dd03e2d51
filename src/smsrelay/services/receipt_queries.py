"""Receipts that never come (carriers lose some): after ``after`` without a receipt, ask
the carrier with query_sm — only connectors that allow it (``connector_options.query_sm``,
``smsrelay connector query-sm NAME on``; the default link: ``SMSRELAY_SMPP_QUERY_SM``) —
and apply a final answer exactly as a receipt (the engine's receipt path). A part is asked
at most ``max_attempts`` times, ``after`` apart; what is never answered is finalised at
the message's validity end, as before."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

__all__ = ["OverduePart", "QueryOutcome", "ReceiptQueryStore"]


@dataclass(frozen=True, slots=True)
class OverduePart:
    message_id: int
    part_no: int
    connector: str
    carrier_id: str
    sender: str  # the submit's source address: query_sm must repeat it (§4.8.1)


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    part: OverduePart
    result: str  # a final part state (delivered, ...), "pending", or "failed: <reason>"


class ReceiptQueryStore(Protocol):
    async def allowed_connectors(self) -> set[str]: ...
    async def overdue(
        self,
        now: datetime,
        after: timedelta,
        connectors: Sequence[str],
        limit: int,
        max_attempts: int,
    ) -> list[OverduePart]: ...
    async def record(self, outcomes: Sequence[QueryOutcome], now: datetime) -> None: ...
