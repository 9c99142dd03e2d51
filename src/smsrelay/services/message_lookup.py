"""Finding messages for support: search by account, phone, status, sender and time, and one
message's whole story (parts, carrier ids, receipts, attempts, route, money, webhooks).

The rows are plain data for the operator's screen (``smsrelay messages search/show``); the
store answers them in a few indexed reads (``store/message_lookup.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..domain.money import Money
from ..domain.status import MessageStatus

__all__ = [
    "MessageDetail",
    "MessageLookup",
    "MessageLookupStore",
    "MessageRow",
    "SearchFilter",
]

MAX_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class SearchFilter:
    account: str | None = None  # login
    phone: str | None = None  # international digits; a trailing * matches a prefix
    status: MessageStatus | None = None
    sender: str | None = None
    since: datetime | None = None  # created at or after (UTC)
    until: datetime | None = None  # created before (UTC)
    limit: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}")
        if self.since and self.until and self.since >= self.until:
            raise ValueError("--since must be before --until")


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    account: str
    phone: str
    sender: str
    channel: str
    status: MessageStatus
    parts: int
    price: Money  # per part
    created_at: datetime
    status_at: datetime | None
    connector: str | None


@dataclass(frozen=True, slots=True)
class MessageDetail:
    message: MessageRow
    client_id_sms: str | None
    kind: str
    due_at: datetime
    valid_until: datetime
    attempts: int  # claims for delivery (submit attempts)
    lease_until: datetime | None
    parts: list[dict[str, Any]] = field(
        default_factory=list
    )  # part_no, connector, carrier_id, state, updated_at
    money: list[dict[str, Any]] = field(default_factory=list)  # kind, amount, at
    webhooks: list[dict[str, Any]] = field(default_factory=list)  # status, state, attempts, tries
    receipt_queries: list[dict[str, Any]] = field(default_factory=list)  # query_sm asked


class MessageLookupStore(Protocol):
    async def search(self, flt: SearchFilter) -> list[MessageRow]: ...
    async def detail(self, message_id: int) -> MessageDetail | None: ...


class MessageLookup:
    def __init__(self, store: MessageLookupStore) -> None:
        self._store = store

    async def search(self, flt: SearchFilter) -> list[MessageRow]:
        """Newest first."""
        return await self._store.search(flt)

    async def show(self, message_id: int) -> MessageDetail:
        detail = await self._store.detail(message_id)
        if detail is None:
            raise LookupError(f"no message with id {message_id}")
        return detail
