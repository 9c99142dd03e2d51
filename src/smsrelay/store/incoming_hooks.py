"""Incoming-SMS webhook settings and outbox (``WebhookStore`` and ``WebhookOutbox`` ports).

The outbox rows are written by the trigger of migration ``0093`` in the transaction that
stores the MO; this store claims them BY STATE with a lease (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), groups them per account into POSTs that keep their delivery id across retries,
and settles them from the client's acknowledgements: the status outbox's rules
(``store/webhooks.py``), on the incoming tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update

from ..domain.messages import Channel
from ..domain.status import MessageStatus
from ..services.incoming_webhooks import IncomingPushItem
from ..services.webhooks import (
    AttemptRecord,
    PendingPush,
    PushBatch,
    PushOutcome,
    WebhookConfig,
    WebhookFormat,
)
from .accounts import dialect_insert
from .database import Database
from .schema import accounts
from .schema_inbound import inbound_messages
from .schema_incoming_hooks import incoming_attempts, incoming_outbox, incoming_webhooks
from .webhooks import DELIVERED, DROPPED, FAILED, PENDING, SENDING, backoff_delay

__all__ = ["SqlIncomingHookStore"]

o = incoming_outbox
w = incoming_webhooks
m = inbound_messages

_CLAIM = (
    update(o)
    .where(o.c.id == bindparam("b_id"))
    .values(
        state=SENDING,
        lease_until=bindparam("b_lease"),
        claim_token=bindparam("b_token"),
        delivery_id=bindparam("b_delivery"),
        attempts=o.c.attempts + 1,
        updated_at=bindparam("b_now"),
    )
)
_SETTLE = (
    update(o)
    .where(o.c.id == bindparam("b_id"), o.c.claim_token == bindparam("b_token"))
    .values(
        state=bindparam("b_state"),
        next_at=bindparam("b_next"),
        lease_until=None,
        claim_token=None,
        last_result=bindparam("b_result"),
        updated_at=bindparam("b_now"),
    )
)
_RELEASE = (
    update(o)
    .where(o.c.id == bindparam("b_id"), o.c.claim_token == bindparam("b_token"))
    .values(
        state=PENDING,
        lease_until=None,
        claim_token=None,
        attempts=o.c.attempts - 1,
        updated_at=bindparam("b_now"),
    )
)


def _config(row: Any) -> WebhookConfig:
    return WebhookConfig(url=row.url, format=WebhookFormat(row.format), secret=row.secret)


class SqlIncomingHookStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pg = db.dialect == "postgresql"

    # --- settings (the WebhookStore port, so WebhookService runs on it unchanged) -----------

    async def get_webhook(self, account_id: int) -> WebhookConfig | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(w).where(w.c.account_id == account_id))).first()
        return None if row is None else _config(row)

    async def set_webhook(self, account_id: int, config: WebhookConfig, now: datetime) -> None:
        values = {
            "account_id": account_id,
            "url": config.url,
            "format": config.format.value,
            "secret": config.secret,
            "updated_at": now,
        }
        stmt = dialect_insert(self._db, w).values(values)
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[w.c.account_id],
            set_={k: v for k, v in values.items() if k != "account_id"},
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def remove_webhook(self, account_id: int, now: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(w).where(w.c.account_id == account_id))
            await conn.execute(
                update(o)
                .where(o.c.account_id == account_id, o.c.state.in_((PENDING, SENDING)))
                .values(
                    state=DROPPED,
                    claim_token=None,
                    lease_until=None,
                    updated_at=now,
                    last_result="webhook removed",
                )
            )

    async def overview(self, account_id: int, limit: int) -> tuple[list[PendingPush], int]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(o.c.inbound_id, o.c.state, o.c.attempts, o.c.next_at, o.c.last_result)
                .where(o.c.account_id == account_id, o.c.state.in_((PENDING, SENDING, FAILED)))
                .order_by(o.c.id)
                .limit(limit)
            )
            pushes = [
                PendingPush(
                    int(r.inbound_id),
                    MessageStatus.DELIVERED,
                    r.state,
                    int(r.attempts),
                    r.next_at,
                    r.last_result,
                )
                for r in rows
            ]
            delivered = await conn.scalar(
                select(func.count()).where(o.c.account_id == account_id, o.c.state == DELIVERED)
            )
        return pushes, int(delivered or 0)

    async def attempts(self, account_id: int, limit: int = 20) -> list[AttemptRecord]:
        a = incoming_attempts
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(a).where(a.c.account_id == account_id).order_by(a.c.id.desc()).limit(limit)
            )
            return [
                AttemptRecord(
                    r.delivery_id,
                    int(r.attempt),
                    r.at,
                    r.http_status,
                    r.error,
                    int(r.sent),
                    int(r.acked),
                )
                for r in rows
            ]

    # --- the outbox (the WebhookOutbox port) ------------------------------------------------

    async def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        batch_size: int,
        exclude_accounts: Sequence[int] = (),
    ) -> list[PushBatch]:
        if limit <= 0:
            return []
        if lease <= timedelta(0) or batch_size <= 0:
            raise ValueError("lease and batch_size must be positive")
        due = or_(
            and_(o.c.state == PENDING, or_(o.c.next_at.is_(None), o.c.next_at <= now)),
            and_(o.c.state == SENDING, o.c.lease_until < now),
        )
        pick = (
            select(
                o.c.id,
                o.c.account_id,
                o.c.inbound_id,
                o.c.attempts,
                o.c.delivery_id,
                m.c.received_at,
                m.c.originator,
                m.c.prefix,
                m.c.phone,
                m.c.text,
                accounts.c.tz_offset_hours,
                w.c.url,
                w.c.format,
                w.c.secret,
            )
            .select_from(
                o.join(w, w.c.account_id == o.c.account_id)
                .join(m, m.c.id == o.c.inbound_id)
                .join(accounts, accounts.c.id == o.c.account_id)
            )
            .where(due)
            .order_by(o.c.id)
            .limit(limit)
        )
        if exclude_accounts:
            pick = pick.where(~self._db.one_of(o.c.account_id, sorted(set(exclude_accounts))))
        if self._pg:
            pick = pick.with_for_update(skip_locked=True, of=o)
        async with self._db.read() as conn:  # an idle outbox never takes the write lock
            if await conn.scalar(select(o.c.id).where(due).limit(1)) is None:
                return []
        token = uuid.uuid4().hex
        async with self._db.write() as conn:
            rows = (await conn.execute(pick)).all()
            if not rows:
                return []
            groups: dict[tuple[int, str], list[Any]] = {}
            fresh: dict[int, list[Any]] = {}
            for r in rows:
                if r.delivery_id:
                    groups.setdefault((int(r.account_id), r.delivery_id), []).append(r)
                else:
                    fresh.setdefault(int(r.account_id), []).append(r)
            for account_id, new_rows in fresh.items():
                for start in range(0, len(new_rows), batch_size):
                    groups[(account_id, uuid.uuid4().hex)] = new_rows[start : start + batch_size]
            await conn.execute(
                _CLAIM,
                [
                    {
                        "b_id": r.id,
                        "b_lease": now + lease,
                        "b_token": token,
                        "b_delivery": delivery,
                        "b_now": now,
                    }
                    for (_, delivery), members in groups.items()
                    for r in members
                ],
            )
        return [
            PushBatch(
                account_id=account_id,
                delivery_id=delivery,
                claim_token=token,
                config=_config(members[0]),
                tz_offset_hours=int(members[0].tz_offset_hours),
                items=tuple(
                    IncomingPushItem(
                        int(r.id),
                        int(r.inbound_id),
                        MessageStatus.DELIVERED,  # unused: an MO has no status
                        r.received_at,
                        Channel.SMS,
                        int(r.attempts) + 1,
                        originator=r.originator,
                        prefix=r.prefix,
                        phone=r.phone,
                        text=r.text,
                    )
                    for r in members
                ),
            )
            for (account_id, delivery), members in groups.items()
        ]

    async def record(
        self,
        outcomes: Sequence[PushOutcome],
        now: datetime,
        max_attempts: int,
        backoff: timedelta,
    ) -> None:
        if not outcomes:
            return
        settles: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        for out in outcomes:
            b = out.batch
            result = out.describe()
            for item in b.items:
                if item.message_id in out.acked:
                    state, next_at = DELIVERED, None
                elif item.attempts >= max_attempts:
                    state, next_at = FAILED, None
                else:
                    state, next_at = PENDING, now + backoff_delay(backoff, item.attempts)
                settles.append(
                    {
                        "b_id": item.outbox_id,
                        "b_token": b.claim_token,
                        "b_state": state,
                        "b_next": next_at,
                        "b_result": result,
                        "b_now": now,
                    }
                )
            attempts.append(
                {
                    "account_id": b.account_id,
                    "delivery_id": b.delivery_id,
                    "attempt": b.attempt,
                    "at": now,
                    "http_status": out.http_status,
                    "error": out.error,
                    "sent": len(b.items),
                    "acked": sum(1 for i in b.items if i.message_id in out.acked),
                }
            )
        async with self._db.write() as conn:
            await conn.execute(_SETTLE, settles)
            await conn.execute(insert(incoming_attempts), attempts)

    async def release(self, batches: Sequence[PushBatch], now: datetime) -> None:
        params = [
            {"b_id": i.outbox_id, "b_token": b.claim_token, "b_now": now}
            for b in batches
            for i in b.items
        ]
        if params:
            async with self._db.write() as conn:
                await conn.execute(_RELEASE, params)

    async def prune(self, before: datetime) -> int:
        async with self._db.write() as conn:
            gone = await conn.execute(
                delete(o).where(o.c.state.in_((DELIVERED, DROPPED)), o.c.updated_at < before)
            )
            await conn.execute(delete(incoming_attempts).where(incoming_attempts.c.at < before))
        return int(gone.rowcount)
