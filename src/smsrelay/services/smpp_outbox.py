"""Ports of the customer SMPP server's durable state: the deliver_sm outbox and live binds.

The outbox holds what customers are owed (delivery receipts of messages they sent over SMPP
with ``registered_delivery``, and MO routed to their account). Rows are written by the store
in the same transaction as the status change or the MO (triggers), so the delivery engine and
the inbound service never call the SMPP server. Any process holding a receiving bind of the
account claims rows with a lease; a row is removed only once the customer acknowledged it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..domain.status import MessageStatus

__all__ = ["BindRow", "BindStats", "BindsStore", "OutboxItem", "OutboxKind", "OutboxStore"]


class OutboxKind(enum.StrEnum):
    RECEIPT = "receipt"
    MO = "mo"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    account_id: int
    kind: OutboxKind
    ref_id: int  # the message's id_sms (receipt) or the inbound message id (MO)
    created_at: datetime
    attempts: int
    # receipt: the message; MO: source = originator, destination = our number
    source: str
    destination: str
    text: str
    status: MessageStatus | None = None
    submitted_at: datetime | None = None
    parts: int = 1


class OutboxStore(Protocol):
    async def claim_outbox(
        self,
        account_ids: Sequence[int],
        owner: str,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[OutboxItem]:
        """Due rows of these accounts (oldest first), leased to ``owner``."""
        ...

    async def ack_outbox(self, ids: Sequence[int]) -> None:
        """The customer acknowledged these: remove them."""
        ...

    async def retry_outbox(self, ids: Sequence[int], next_at: datetime) -> None:
        """Not acknowledged (error, timeout, bind lost): due again at ``next_at``."""
        ...

    async def prune_outbox(self, before: datetime) -> int:
        """Drop rows created before ``before`` (expired); return how many."""
        ...


@dataclass(frozen=True, slots=True)
class BindStats:
    bind_id: str
    submits: int
    receipts: int
    submit_rate: float
    receipt_rate: float
    outstanding: int


@dataclass(frozen=True, slots=True)
class BindRow:
    bind_id: str
    account_id: int
    login: str
    address: str
    bind_type: str
    node: str
    since: datetime
    updated_at: datetime
    submits: int = 0
    receipts: int = 0
    submit_rate: float = 0.0
    receipt_rate: float = 0.0
    outstanding: int = 0


class BindsStore(Protocol):
    async def add_bind(self, row: BindRow) -> None: ...
    async def remove_bind(self, bind_id: str) -> None: ...
    async def refresh_binds(self, stats: Sequence[BindStats], now: datetime) -> set[str]:
        """Store each bind's counters; return the ids an operator asked to kick."""
        ...

    async def live_binds(self, since: datetime) -> list[BindRow]:
        """Binds refreshed at or after ``since`` (older rows: a process that died)."""
        ...

    async def count_live_binds(self, account_id: int, since: datetime) -> int: ...
    async def kick(self, login: str) -> int:
        """Ask the processes holding the account's binds to close them; return how many."""
        ...
