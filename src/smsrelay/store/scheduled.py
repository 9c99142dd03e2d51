"""Scheduled messages (X15 list, X16 cancel with refund).

:class:`SqlScheduledStore` implements the ``ScheduledStore`` port (``services.scheduled``).
Scheduled messages need no table of their own: they are ``messages`` rows in status
``scheduled``; a cancel moves them to ``cancelled`` and refunds them in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update

from ..domain.messages import Channel, MessageKind
from ..domain.status import MessageStatus, check_transition
from ..services.scheduled import ScheduledMessage
from .database import Database
from .schema import accounts, ledger, messages

__all__ = ["SqlScheduledStore"]

_MAX_ID = 2**63
_SCHEDULED = MessageStatus.SCHEDULED.value
_CANCELLED = MessageStatus.CANCELLED.value
check_transition(MessageStatus.SCHEDULED, MessageStatus.CANCELLED)  # the lifecycle allows it


def _ids(values: Sequence[int]) -> list[int]:
    """Only ids a BIGINT can hold (anything else matches nothing)."""
    return sorted({int(v) for v in values if 0 < int(v) < _MAX_ID})


class SqlScheduledStore:
    """An account's scheduled messages on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- scheduled messages (X15, X16) ---------------------------------------------------------

    async def scheduled_page(
        self, account_id: int, offset: int, limit: int
    ) -> tuple[int, list[ScheduledMessage]]:
        where = (messages.c.account_id == account_id, messages.c.status == _SCHEDULED)
        async with self._db.read() as conn:
            total = int(
                await conn.scalar(select(func.count()).select_from(messages).where(*where)) or 0
            )
            rows = await conn.execute(
                select(messages)
                .where(*where)
                .order_by(messages.c.due_at, messages.c.id)
                .offset(offset)
                .limit(limit)
            )
            found = [
                ScheduledMessage(
                    id=int(r.id),
                    queued_at=r.created_at,
                    sender=r.sender,
                    phone=r.phone,
                    channel=Channel(r.channel),
                    kind=MessageKind(r.kind),
                    text=r.text,
                    parts=int(r.parts),
                    due_at=r.due_at,
                    valid_until=r.valid_until,
                    extra=_extra(r.extra),
                )
                for r in rows
            ]
        return total, found

    async def cancel_scheduled(
        self, account_id: int, ids: Sequence[int], now: datetime
    ) -> set[int]:
        wanted = _ids(ids)
        if not wanted:
            return set()
        async with self._db.write() as conn:
            # The status guard in the UPDATE itself: a message the engine released (or another
            # cancel took) meanwhile is not matched, on both databases.
            rows = (
                await conn.execute(
                    update(messages)
                    .where(
                        messages.c.account_id == account_id,
                        messages.c.status == _SCHEDULED,
                        self._db.one_of(messages.c.id, wanted),
                    )
                    .values(status=_CANCELLED, status_at=now, lease_until=None)
                    .returning(messages.c.id, messages.c.parts, messages.c.price_micros)
                )
            ).all()
            refunds = sorted((int(r.id), int(r.parts) * int(r.price_micros)) for r in rows)
            total = sum(m for _, m in refunds)
            if total:
                await conn.execute(
                    update(accounts)
                    .where(accounts.c.id == account_id)
                    .values(balance_micros=accounts.c.balance_micros + total)
                )
            paid = [(mid, m) for mid, m in refunds if m > 0]
            if paid:
                await conn.execute(
                    insert(ledger),
                    [
                        {
                            "account_id": account_id,
                            "amount_micros": m,
                            "kind": "refund",
                            "message_id": mid,
                            "created_at": now,
                        }
                        for mid, m in paid
                    ],
                )
        return {mid for mid, _ in refunds}


def _extra(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items()}
