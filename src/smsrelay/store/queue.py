"""The delivery work queue (the ``DeliveryQueue`` port): claims, submit outcomes, receipts, expiry.

Work is found by STATE, never by an id watermark: with several writers ids commit out of
order. Every method is one transaction with a fixed number of statements (executemany for
the per-message writes). On PostgreSQL claimers and the expirer skip rows another worker holds
(``FOR UPDATE SKIP LOCKED``); the others lock messages in id order, then accounts in id order,
so workers never deadlock. On SQLite the single write lock serializes them.

Status moves follow ``domain.status``: a final status never changes, and an outcome that
arrives late (the message moved on meanwhile) never moves a message backwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.compliance import DeliveryRefusal
from ..domain.messages import Channel, MessageKind, OutboundMessage
from ..domain.money import Money
from ..domain.status import (
    MessageStatus,
    PartState,
    aggregate_parts,
    check_transition,
)
from ..services.ports import (
    Claimed,
    ReceiptRecord,
    ReceiptsApplied,
    Released,
    StatusChange,
    SubmitRecord,
)
from .accounts import dialect_insert
from .compliance import CHECK_COLUMNS, cancel_refused, refusal_of, store_reasons
from .database import Database
from .ledger import move_money
from .queue_plans import (
    match_receipts,
    plan_submits,
    receipt_part_updates,
    settle,
)
from .queue_sqlite import apply_receipts_sqlite, record_submits_sqlite
from .resale import refund_resale
from .schema import message_parts, messages

__all__ = ["SqlDeliveryQueue"]

_Row = Row[*tuple[Any, ...]]

# a claim with a route filter reads this many due rows per row wanted (bounded both ways):
# rows routed to other nodes at the head of the queue are drained by those nodes meanwhile
_SCAN_FACTOR = 4
_SCAN_MIN = 200
_SCAN_MAX = 5000

S = MessageStatus

_CLAIMED = (
    messages.c.id,
    messages.c.account_id,
    messages.c.phone,
    messages.c.sender,
    messages.c.text,
    messages.c.parts,
    messages.c.channel,
    messages.c.kind,
    messages.c.valid_until,
    messages.c.attempts,
    messages.c.price_micros,
    messages.c.extra,
    messages.c.due_at,
)

_SET_STATUS = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        status_at=bindparam("b_status_at"),
        due_at=bindparam("b_due_at"),
        lease_until=None,
        connector=bindparam("b_connector"),
    )
)

_SET_FINAL = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status"), status_at=bindparam("b_status_at"), lease_until=None)
)

_SET_PART = (
    update(message_parts)
    .where(
        message_parts.c.message_id == bindparam("b_message"),
        message_parts.c.part_no == bindparam("b_part"),
    )
    .values(state=bindparam("b_state"), updated_at=bindparam("b_at"))
)


def _outbound(row: _Row) -> OutboundMessage:
    return OutboundMessage(
        id=int(row.id),
        account_id=int(row.account_id),
        phone=row.phone,
        sender=row.sender,
        text=row.text,
        parts=int(row.parts),
        channel=Channel(row.channel),
        kind=MessageKind(row.kind),
        valid_until=row.valid_until,
        attempts=int(row.attempts),
        price=Money(int(row.price_micros)),
        extra=json.loads(row.extra) if row.extra else {},
        due_at=row.due_at,
    )


class SqlDeliveryQueue:
    """:class:`smsrelay.services.ports.DeliveryQueue` on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pg = db.dialect == "postgresql"

    # --- claiming ------------------------------------------------------------------------------

    async def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        channel: Channel = Channel.SMS,
        *,
        only: Callable[[int, str], bool] | None = None,
    ) -> Claimed:
        """Due work of ``channel`` -> ``submitting``, ordered by (due_at, id).

        Abandoned leases (a crashed worker's ``submitting`` rows) come first, then ``queued``
        rows whose ``due_at`` has come. A message past its validity is left to :meth:`expire`.
        With ``only`` (several nodes own different connectors) a bounded window of due rows
        is read first (locked on PostgreSQL) and only those ``only`` accepts are claimed.
        The claiming statement also reads each row's compliance facts (``store.compliance``);
        a message failing them is cancelled and refunded here and reported in ``refused``.
        """
        if limit <= 0:
            return Claimed()
        if lease <= timedelta(0):
            raise ValueError("lease must be positive")
        due = (
            and_(messages.c.status == S.SUBMITTING.value, messages.c.lease_until < now),
            and_(messages.c.status == S.QUEUED.value, messages.c.due_at <= now),
        )
        claimed: list[_Row] = []
        async with self._db.write() as conn:
            for condition in due:
                room = limit - len(claimed)
                if room <= 0:
                    break
                pick = (
                    select(messages.c.id)
                    .where(
                        condition,
                        messages.c.channel == channel.value,
                        messages.c.valid_until > now,
                    )
                    .order_by(messages.c.due_at, messages.c.id)
                    .limit(room)
                )
                if self._pg:
                    pick = pick.with_for_update(skip_locked=True)
                chosen: ColumnElement[bool] = messages.c.id.in_(pick.scalar_subquery())
                if only is not None:
                    ids = await self._pick_routed(conn, condition, channel, now, room, only)
                    if not ids:
                        continue
                    chosen = self._db.one_of(messages.c.id, ids)
                stmt = (
                    update(messages)
                    .where(chosen)
                    .values(
                        status=S.SUBMITTING.value,
                        lease_until=now + lease,
                        attempts=messages.c.attempts + 1,
                    )
                    .returning(*_CLAIMED, *CHECK_COLUMNS)
                )
                claimed.extend((await conn.execute(stmt)).all())
            refused = [(r, why, S.SUBMITTING) for r in claimed if (why := refusal_of(r))]
            changes = await cancel_refused(self._db, conn, refused, now)
        if refused:
            gone = {int(r.id) for r, _, _ in refused}
            claimed = [r for r in claimed if int(r.id) not in gone]
        claimed.sort(key=lambda r: (r.due_at, r.id))
        return Claimed([_outbound(r) for r in claimed], changes)

    async def _pick_routed(
        self,
        conn: AsyncConnection,
        condition: Any,
        channel: Channel,
        now: datetime,
        room: int,
        only: Callable[[int, str], bool],
    ) -> list[int]:
        """Up to ``room`` ids of due rows that ``only`` accepts, among the next
        ``room * _SCAN_FACTOR`` due rows (rows routed to other nodes are left alone)."""
        scan = (
            select(messages.c.id, messages.c.account_id, messages.c.phone)
            .where(condition, messages.c.channel == channel.value, messages.c.valid_until > now)
            .order_by(messages.c.due_at, messages.c.id)
            .limit(min(max(room * _SCAN_FACTOR, _SCAN_MIN), _SCAN_MAX))
        )
        if self._pg:
            scan = scan.with_for_update(skip_locked=True)
        rows = (await conn.execute(scan)).all()
        return [int(r.id) for r in rows if only(int(r.account_id), r.phone)][:room]

    async def release_scheduled(self, now: datetime, limit: int) -> Released:
        """``scheduled`` whose time has come -> ``queued``; returns how many. Those failing the
        compliance check (read by the same statement) are cancelled and refunded instead."""
        if limit <= 0:
            return Released(0)
        pick = (
            select(messages.c.id)
            .where(messages.c.status == S.SCHEDULED.value, messages.c.due_at <= now)
            .order_by(messages.c.due_at, messages.c.id)
            .limit(limit)
        )
        if self._pg:
            pick = pick.with_for_update(skip_locked=True)
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    update(messages)
                    .where(messages.c.id.in_(pick.scalar_subquery()))
                    .values(status=S.QUEUED.value)
                    .returning(
                        messages.c.id,
                        messages.c.account_id,
                        messages.c.parts,
                        messages.c.price_micros,
                        *CHECK_COLUMNS,
                    )
                )
            ).all()
            refused = [(r, why, S.QUEUED) for r in rows if (why := refusal_of(r))]
            changes = await cancel_refused(self._db, conn, refused, now)
        return Released(len(rows) - len(refused), changes)

    async def refusals(self, messages_: Sequence[OutboundMessage]) -> dict[int, str]:
        """The compliance check alone, for messages not being claimed (a failover)."""
        if not messages_:
            return {}
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(messages.c.id, messages.c.extra, *CHECK_COLUMNS).where(
                    self._db.one_of(messages.c.id, sorted(m.id for m in messages_))
                )
            )
            return {int(r.id): why.value for r in rows if (why := refusal_of(r))}

    async def note_refusal(self, message_id: int, reason: str, now: datetime) -> None:
        async with self._db.write() as conn:
            await store_reasons(conn, [(message_id, DeliveryRefusal(reason))], now)

    # --- submit outcomes -----------------------------------------------------------------------

    async def record_submits(
        self, records: Sequence[SubmitRecord], now: datetime
    ) -> list[StatusChange]:
        """Apply submit outcomes in one transaction; returns the status changes made.

        Parts the carrier accepted are stored (``pending``) even when the message moved on
        meanwhile, so their receipts still match. Rejected parts are refunded.
        """
        if not records:
            return []
        if self._db.has_write_units and not any(r.rejected_parts for r in records):
            async with self._db.write_unit() as unit:  # no money moves: one hand-off
                return await unit.commit(lambda con: record_submits_sqlite(con, records, now))
        async with self._db.write() as conn:
            current = await self._lock_messages(conn, {r.message_id for r in records})
            plan = plan_submits(records, current, now)
            if plan.parts:
                await self._store_parts(
                    conn,
                    [
                        {
                            "message_id": mid,
                            "part_no": part,
                            "connector": connector,
                            "carrier_id": carrier_id,
                            "state": PartState.PENDING.value,
                            "updated_at": now,
                        }
                        for (mid, part), (connector, carrier_id) in sorted(plan.parts.items())
                    ],
                )
            if plan.updates:
                await conn.execute(
                    _SET_STATUS,
                    [
                        {
                            "b_id": mid,
                            "b_status": status,
                            "b_status_at": now if final else None,
                            "b_due_at": due_at,
                            "b_connector": connector,
                        }
                        for mid, status, final, due_at, connector in plan.updates
                    ],
                )
            await move_money(conn, plan.refunds, "refund", now)
            if plan.parts_back:
                sms = {m: Channel.SMS.value for m in plan.parts_back}
                await refund_resale(conn, self._db, plan.parts_back, now, sms)
        return plan.changes

    async def _store_parts(self, conn: AsyncConnection, parts: list[dict[str, Any]]) -> None:
        """Insert parts; a resubmitted part replaces its carrier id unless already final."""
        stmt = dialect_insert(self._db, message_parts)
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[message_parts.c.message_id, message_parts.c.part_no],
            set_={
                "connector": stmt.excluded.connector,  # type: ignore[attr-defined]
                "carrier_id": stmt.excluded.carrier_id,  # type: ignore[attr-defined]
                "updated_at": stmt.excluded.updated_at,  # type: ignore[attr-defined]
            },
            where=message_parts.c.state == PartState.PENDING.value,
        )
        await conn.execute(stmt, parts)

    async def _lock_messages(self, conn: AsyncConnection, ids: set[int]) -> dict[int, _Row]:
        """The messages' rows, locked in id order on PostgreSQL."""
        query = (
            select(
                messages.c.id,
                messages.c.account_id,
                messages.c.status,
                messages.c.parts,
                messages.c.price_micros,
                messages.c.due_at,
            )
            .where(self._db.one_of(messages.c.id, sorted(ids)))
            .order_by(messages.c.id)
        )
        if self._pg:
            query = query.with_for_update()
        return {int(r.id): r for r in await conn.execute(query)}

    async def _part_states(
        self, conn: AsyncConnection, ids: Sequence[int]
    ) -> dict[tuple[int, int], PartState]:
        if not ids:
            return {}
        rows = await conn.execute(
            select(message_parts.c.message_id, message_parts.c.part_no, message_parts.c.state)
            .where(self._db.one_of(message_parts.c.message_id, sorted(ids)))
            .order_by(message_parts.c.message_id, message_parts.c.part_no)
        )
        return {(int(r.message_id), int(r.part_no)): PartState(r.state) for r in rows}

    # --- receipts ------------------------------------------------------------------------------

    async def apply_receipts(self, receipts: Sequence[ReceiptRecord]) -> ReceiptsApplied:
        """Match receipts to parts by (connector, carrier id); a message whose parts are all
        final gets its status from ``aggregate_parts``. Duplicate receipts are harmless."""
        if not receipts:
            return ReceiptsApplied()
        if self._db.has_write_units:
            async with self._db.write_unit() as unit:  # one hand-off
                return await unit.commit(lambda con: apply_receipts_sqlite(con, receipts))
        async with self._db.write() as conn:
            matched, unmatched = match_receipts(receipts, await self._find_parts(conn, receipts))
            if not matched:
                return ReceiptsApplied(unmatched=unmatched)
            current = await self._lock_messages(conn, {k[0] for _, k in matched})
            states = await self._part_states(conn, list(current))
            part_updates, reported = receipt_part_updates(matched, states)
            if part_updates:
                await conn.execute(
                    _SET_PART,
                    [
                        {"b_message": mid, "b_part": part, "b_state": state, "b_at": at}
                        for mid, part, state, at in part_updates
                    ],
                )
            changes, updates = settle(current, states, reported)
            if updates:
                await conn.execute(
                    _SET_FINAL,
                    [{"b_id": m, "b_status": st, "b_status_at": at} for m, st, at in updates],
                )
        return ReceiptsApplied(changes=changes, unmatched=unmatched)

    async def _find_parts(
        self, conn: AsyncConnection, receipts: Sequence[ReceiptRecord]
    ) -> dict[tuple[str, str], tuple[int, int]]:
        """(connector, carrier id) -> (message id, part no); the newest part if ids repeat."""
        connectors = sorted({r.connector for r in receipts})
        carrier_ids = sorted({c for r in receipts for c in r.carrier_ids})
        rows = await conn.execute(
            select(
                message_parts.c.connector,
                message_parts.c.carrier_id,
                message_parts.c.message_id,
                message_parts.c.part_no,
            )
            .where(self._db.one_of(message_parts.c.connector, connectors))
            .where(self._db.one_of(message_parts.c.carrier_id, carrier_ids))
            .order_by(message_parts.c.message_id, message_parts.c.part_no)
        )
        return {(r.connector, r.carrier_id): (int(r.message_id), int(r.part_no)) for r in rows}

    # --- leases --------------------------------------------------------------------------------

    async def renew_leases(self, message_ids: Sequence[int], until: datetime) -> int:
        """The heartbeat of a live worker: its ``submitting`` messages keep their claim."""
        if not message_ids:
            return 0
        stmt = (
            update(messages)
            .where(self._db.one_of(messages.c.id, list(message_ids)))
            .where(messages.c.status == S.SUBMITTING.value)
            .values(lease_until=until)
        )
        async with self._db.write() as conn:
            return (await conn.execute(stmt)).rowcount

    # --- expiry --------------------------------------------------------------------------------

    async def expire(self, now: datetime, limit: int) -> list[StatusChange]:
        """Messages past ``valid_until``.

        * ``scheduled``/``queued``, or ``submitting`` whose lease ran out (its worker is gone):
          -> ``expired``, refunded in full if the carrier never took a part of it;
        * ``submitted``: final by ``aggregate_parts(give_up=True)``, no refund.

        A ``submitting`` message with a live lease is left to its worker's
        :meth:`record_submits`, so money and status never race with an in-flight submit.
        """
        if limit <= 0:
            return []
        waiting = (S.SCHEDULED.value, S.QUEUED.value, S.SUBMITTED.value)
        pick = (
            select(
                messages.c.id,
                messages.c.account_id,
                messages.c.status,
                messages.c.parts,
                messages.c.price_micros,
                messages.c.channel,
            )
            .where(
                messages.c.valid_until < now,
                or_(
                    messages.c.status.in_(waiting),
                    and_(messages.c.status == S.SUBMITTING.value, messages.c.lease_until < now),
                ),
            )
            .order_by(messages.c.valid_until, messages.c.id)
            .limit(limit)
        )
        if self._pg:
            pick = pick.with_for_update(skip_locked=True)
        changes: list[StatusChange] = []
        async with self._db.write() as conn:
            rows = (await conn.execute(pick)).all()
            if not rows:
                return []
            states = await self._part_states(conn, [int(r.id) for r in rows])
            by_message: dict[int, list[PartState]] = {}
            for (mid, _), state in states.items():
                by_message.setdefault(mid, []).append(state)
            updates: list[dict[str, Any]] = []
            refunds: list[tuple[int, int, int]] = []
            parts_back: dict[int, int] = {}
            channels: dict[int, str] = {}
            for r in rows:
                mid, current = int(r.id), S(r.status)
                taken = by_message.get(mid, [])
                if current is S.SUBMITTED:
                    target = aggregate_parts(taken, int(r.parts), give_up=True) or S.EXPIRED
                else:
                    target = S.EXPIRED
                    if not taken:
                        refunds.append((int(r.account_id), mid, int(r.parts) * int(r.price_micros)))
                        parts_back[mid], channels[mid] = int(r.parts), r.channel
                check_transition(current, target)
                updates.append({"b_id": mid, "b_status": target.value, "b_status_at": now})
                changes.append(StatusChange(mid, int(r.account_id), target, now))
            await conn.execute(_SET_FINAL, updates)
            await move_money(conn, refunds, "refund", now)
            await refund_resale(conn, self._db, parts_back, now, channels)
        return changes
