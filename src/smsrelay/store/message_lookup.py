"""Messages for support (the ``services.message_lookup.MessageLookupStore`` port)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from ..domain.money import Money
from ..domain.status import MessageStatus
from ..services.message_lookup import MessageDetail, MessageRow, SearchFilter
from .database import Database
from .schema import accounts, ledger, message_parts, messages
from .schema_receipt_queries import receipt_queries
from .schema_webhooks import webhook_attempts, webhook_outbox

__all__ = ["SqlMessageLookup"]

_ROW = (
    messages.c.id,
    accounts.c.login,
    messages.c.phone,
    messages.c.sender,
    messages.c.channel,
    messages.c.status,
    messages.c.parts,
    messages.c.price_micros,
    messages.c.created_at,
    messages.c.status_at,
    messages.c.connector,
)


def _row(r: Row[*tuple[Any, ...]]) -> MessageRow:
    return MessageRow(
        id=int(r.id),
        account=r.login,
        phone=r.phone,
        sender=r.sender,
        channel=r.channel,
        status=MessageStatus(r.status),
        parts=int(r.parts),
        price=Money(int(r.price_micros)),
        created_at=r.created_at,
        status_at=r.status_at,
        connector=r.connector,
    )


class SqlMessageLookup:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def search(self, flt: SearchFilter) -> list[MessageRow]:
        q = select(*_ROW).select_from(
            messages.join(accounts, accounts.c.id == messages.c.account_id)
        )
        if flt.account is not None:
            q = q.where(accounts.c.login == flt.account)
        if flt.phone is not None:
            if flt.phone.endswith("*"):
                prefix = flt.phone[:-1].replace("\\", "").replace("%", "").replace("_", "")
                q = q.where(messages.c.phone.like(prefix + "%"))
            else:
                q = q.where(messages.c.phone == flt.phone)
        if flt.status is not None:
            q = q.where(messages.c.status == flt.status.value)
        if flt.sender is not None:
            q = q.where(messages.c.sender == flt.sender)
        if flt.since is not None:
            q = q.where(messages.c.created_at >= flt.since)
        if flt.until is not None:
            q = q.where(messages.c.created_at < flt.until)
        q = q.order_by(messages.c.id.desc()).limit(flt.limit)
        async with self._db.read() as conn:
            return [_row(r) for r in await conn.execute(q)]

    async def detail(self, message_id: int) -> MessageDetail | None:
        async with self._db.read() as conn:
            m = (
                await conn.execute(
                    select(
                        *_ROW,
                        messages.c.client_id_sms,
                        messages.c.kind,
                        messages.c.due_at,
                        messages.c.valid_until,
                        messages.c.attempts,
                        messages.c.lease_until,
                    )
                    .select_from(messages.join(accounts, accounts.c.id == messages.c.account_id))
                    .where(messages.c.id == message_id)
                )
            ).first()
            if m is None:
                return None
            parts = await conn.execute(
                select(message_parts)
                .where(message_parts.c.message_id == message_id)
                .order_by(message_parts.c.part_no)
            )
            money = await conn.execute(
                select(ledger.c.kind, ledger.c.amount_micros, ledger.c.created_at)
                .where(ledger.c.message_id == message_id)
                .order_by(ledger.c.id)
            )
            hooks = (
                await conn.execute(
                    select(webhook_outbox)
                    .where(webhook_outbox.c.message_id == message_id)
                    .order_by(webhook_outbox.c.id)
                )
            ).all()
            tries: dict[str, list[dict[str, Any]]] = {}
            ids = sorted({h.delivery_id for h in hooks if h.delivery_id})
            if ids:
                for t in await conn.execute(
                    select(webhook_attempts)
                    .where(self._db.one_of(webhook_attempts.c.delivery_id, ids))
                    .order_by(webhook_attempts.c.id)
                ):
                    tries.setdefault(t.delivery_id, []).append(
                        {
                            "attempt": t.attempt,
                            "at": t.at,
                            "http_status": t.http_status,
                            "error": t.error,
                        }
                    )
            queries = await _receipt_queries(conn, message_id)
        return MessageDetail(
            message=_row(m),
            client_id_sms=m.client_id_sms,
            kind=m.kind,
            due_at=m.due_at,
            valid_until=m.valid_until,
            attempts=int(m.attempts),
            lease_until=m.lease_until,
            parts=[
                {
                    "part_no": int(p.part_no),
                    "connector": p.connector,
                    "carrier_id": p.carrier_id,
                    "state": p.state,
                    "updated_at": p.updated_at,
                }
                for p in parts
            ],
            # the charge is debited per account and batch (one ledger row for many messages):
            # this message's share is its parts times its price; refunds name the message
            money=[
                {
                    "kind": "charge",
                    "amount": Money(-int(m.parts) * int(m.price_micros)),
                    "at": m.created_at,
                },
                *(
                    {"kind": r.kind, "amount": Money(int(r.amount_micros)), "at": r.created_at}
                    for r in money
                ),
            ],
            webhooks=[
                {
                    "status": h.status,
                    "state": h.state,
                    "attempts": int(h.attempts),
                    "last_result": h.last_result,
                    "updated_at": h.updated_at,
                    "tries": tries.get(h.delivery_id or "", []),
                }
                for h in hooks
            ],
            receipt_queries=queries,
        )


async def _receipt_queries(conn: Any, message_id: int) -> list[dict[str, Any]]:
    """query_sm asked about this message's parts (receipts that never came)."""
    rows = await conn.execute(
        select(receipt_queries)
        .where(receipt_queries.c.message_id == message_id)
        .order_by(receipt_queries.c.part_no)
    )
    return [
        {"part_no": int(r.part_no), "attempts": int(r.attempts), "at": r.last_at,
         "result": r.result}
        for r in rows
    ]  # fmt: skip
