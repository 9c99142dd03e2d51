"""Viber legs and the Viber->SMS cascade on SQLite or PostgreSQL (``services.cascade`` ports).

Every method is one write transaction. Locks are taken as the delivery queue takes them
(messages in id order, then accounts in id order), so the Viber dispatcher and the SMS engine
never deadlock. The message row always describes the current leg; ``viber_legs`` keeps the
Viber leg's own status. A fallback turns the row into an SMS leg (channel ``sms``, SMS
sender/text/parts, ``queued``) and charges it like a direct SMS, at every reseller level too
(``store/cascade_charges.py``), in the same transaction that ends the Viber leg.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.messages import Channel
from ..domain.status import MessageStatus, can_transition
from ..services.cascade import (
    EXTRA_FALLBACK,
    EXTRA_SMS_PARTS,
    EXTRA_SMS_SENDER,
    EXTRA_SMS_TEXT,
    EXTRA_VIBER_UNTIL,
    FALLBACK_FROM,
    FALLBACK_ON,
    LEG_STATUS,
    ChannelState,
    SendVerdict,
    ViberApplied,
    ViberSendRecord,
    ViberStatusRecord,
)
from ..services.ports import StatusChange
from .accounts import PriceCache, dialect_insert
from .cascade_charges import SmsLeg, charge_sms_legs
from .database import Database
from .ledger import move_money
from .resale import refund_resale
from .schema import messages
from .schema_viber import viber_legs
from .tariff_cache import TariffCache

__all__ = ["SqlViberStore"]

S = MessageStatus
_Row = Row[*tuple[Any, ...]]
_VIBER = Channel.VIBER.value

_SET_MESSAGE = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        status_at=bindparam("b_status_at"),
        due_at=bindparam("b_due_at"),
        connector=bindparam("b_connector"),
        lease_until=None,
    )
)

_TO_SMS = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(
        channel=Channel.SMS.value,
        sender=bindparam("b_sender"),
        text=bindparam("b_text"),
        parts=bindparam("b_parts"),
        price_micros=bindparam("b_price"),
        status=S.QUEUED.value,
        status_at=None,
        due_at=bindparam("b_due_at"),
        lease_until=None,
        attempts=0,
        connector=None,
    )
)

_SET_LEG = (
    update(viber_legs)
    .where(viber_legs.c.message_id == bindparam("b_id"))
    .values(status=bindparam("b_status"), status_at=bindparam("b_at"))
)

_LEG_FALLBACK = (
    update(viber_legs)
    .where(viber_legs.c.message_id == bindparam("b_id"))
    .values(sms_at=bindparam("b_sms_at"), fallback_error=bindparam("b_error"))
)


def _extra(row: _Row) -> dict[str, str]:
    return json.loads(row.extra) if row.extra else {}


def _viber_until(row: _Row) -> datetime:
    raw = _extra(row).get(EXTRA_VIBER_UNTIL)
    return datetime.fromisoformat(raw) if raw else row.valid_until


def _wants_sms(row: _Row) -> bool:
    return _extra(row).get(EXTRA_FALLBACK) == Channel.SMS.value


class SqlViberStore:
    """:class:`smsrelay.services.cascade.ViberLegStore` and ``ChannelStateSource``."""

    def __init__(self, db: Database, prices: PriceCache | None = None) -> None:
        self._db = db
        self._prices = prices or PriceCache()
        self._tariffs = TariffCache(self._prices)
        self._pg = db.dialect == "postgresql"

    # --- sends ---------------------------------------------------------------------------------

    async def has_work(self, now: datetime) -> bool:
        """Whether a Viber message is due for a claim: a cheap read, so that idle polling
        never takes the write lock."""
        query = (
            select(messages.c.id)
            .where(
                messages.c.channel == _VIBER,
                or_(
                    and_(messages.c.status == S.QUEUED.value, messages.c.due_at <= now),
                    and_(messages.c.status == S.SUBMITTING.value, messages.c.lease_until < now),
                ),
            )
            .limit(1)
        )
        async with self._db.read() as conn:
            return (await conn.scalar(query)) is not None

    async def record_sends(
        self, records: Sequence[ViberSendRecord], now: datetime
    ) -> list[StatusChange]:
        """Apply what the provider answered to claimed (``submitting``) Viber messages.

        Accepted -> ``submitted`` with its leg; retry -> ``queued`` at ``retry_at``; refused or
        late -> the leg is refunded and ends ``rejected``/``expired``, then the cascade starts
        the SMS leg or the message ends with the leg's status.
        """
        if not records:
            return []
        changes: list[StatusChange] = []
        async with self._db.write() as conn:
            rows = await self._lock(conn, {r.message_id for r in records})
            legs: dict[int, dict[str, Any]] = {}
            updates: list[dict[str, Any]] = []
            refunds: list[tuple[int, int, int]] = []
            fallbacks: dict[int, MessageStatus] = {}
            for rec in records:
                row = rows.get(rec.message_id)
                if row is None or row.channel != _VIBER:
                    continue
                status = S(row.status)
                if rec.verdict is SendVerdict.RETRY:
                    if status is S.SUBMITTING:
                        updates.append(_message(row, S.QUEUED, None, rec.retry_at, rec.connector))
                        changes.append(StatusChange(row.id, row.account_id, S.QUEUED, now))
                    continue
                accepted = rec.verdict is SendVerdict.ACCEPTED
                leg = S.SUBMITTED if accepted else _LEG_END[rec.verdict]
                legs[rec.message_id] = {
                    "message_id": rec.message_id,
                    "connector": rec.connector,
                    "provider_id": rec.provider_id if accepted else None,
                    "status": leg.value,
                    "status_at": None if accepted else now,
                    "viber_until": _viber_until(row),
                    "fallback": Channel.SMS.value if _wants_sms(row) else None,
                    "price_micros": int(row.price_micros),
                    "created_at": now,
                }
                if accepted:
                    if status is S.SUBMITTING:
                        updates.append(_message(row, S.SUBMITTED, None, row.due_at, rec.connector))
                        changes.append(StatusChange(row.id, row.account_id, S.SUBMITTED, now))
                    continue
                if status is not S.SUBMITTING:
                    continue  # the message moved on (expired, and refunded, meanwhile)
                refunds.append(
                    (int(row.account_id), row.id, int(row.parts) * int(row.price_micros))
                )
                if _wants_sms(row):
                    fallbacks[row.id] = leg
                else:
                    updates.append(_message(row, leg, now, row.due_at, rec.connector))
                    changes.append(StatusChange(row.id, row.account_id, leg, now))
            if legs:
                await self._store_legs(conn, [legs[k] for k in sorted(legs)])
            if updates:
                await conn.execute(_SET_MESSAGE, updates)
            await move_money(conn, refunds, "refund", now)
            back = {mid: int(rows[mid].parts) for _, mid, _ in refunds}
            await refund_resale(conn, self._db, back, now, {mid: _VIBER for mid in back})
            changes += await self._start_sms(conn, rows, fallbacks, now)
        return changes

    async def _store_legs(self, conn: AsyncConnection, legs: list[dict[str, Any]]) -> None:
        """Insert legs; a resent message (its lease ran out) replaces its leg."""
        stmt = dialect_insert(self._db, viber_legs)
        keep = ("message_id", "created_at")
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[viber_legs.c.message_id],
            set_={
                c.name: getattr(stmt.excluded, c.name)  # type: ignore[attr-defined]
                for c in viber_legs.columns
                if c.name not in keep
            },
        )
        await conn.execute(stmt, legs)

    # --- provider statuses ---------------------------------------------------------------------

    async def apply_statuses(self, records: Sequence[ViberStatusRecord]) -> ViberApplied:
        """Match reports to legs by (connector, provider id) and apply them.

        ``read`` implies ``delivered``. A final leg never changes except ``delivered -> read``
        (a report after the leg's deadline finds it ``expired`` and is ignored). While the
        message is on its Viber leg it follows the leg; a failed leg of a cascade starts the
        SMS leg, which the leg's later reports never touch.
        """
        if not records:
            return ViberApplied()
        changes: list[StatusChange] = []
        async with self._db.write() as conn:
            found = await conn.execute(
                select(
                    viber_legs.c.message_id,
                    viber_legs.c.connector,
                    viber_legs.c.provider_id,
                    viber_legs.c.status,
                )
                .where(
                    self._db.one_of(viber_legs.c.connector, sorted({r.connector for r in records}))
                )
                .where(
                    self._db.one_of(
                        viber_legs.c.provider_id, sorted({r.provider_id for r in records})
                    )
                )
            )
            by_key = {(r.connector, r.provider_id): int(r.message_id) for r in found}
            matched = [
                (r, by_key[(r.connector, r.provider_id)])
                for r in records
                if (r.connector, r.provider_id) in by_key
            ]
            unmatched = [r for r in records if (r.connector, r.provider_id) not in by_key]
            if not matched:
                return ViberApplied(unmatched=unmatched)
            rows = await self._lock(conn, {mid for _, mid in matched})
            leg_now = {
                int(r.message_id): S(r.status)
                for r in await conn.execute(
                    select(viber_legs.c.message_id, viber_legs.c.status).where(
                        self._db.one_of(viber_legs.c.message_id, sorted(rows))
                    )
                )
            }
            msg_now = {mid: S(r.status) for mid, r in rows.items()}
            leg_at: dict[int, datetime] = {}
            msg_at: dict[int, datetime] = {}
            fallbacks: dict[int, MessageStatus] = {}
            for rec, mid in sorted(matched, key=lambda m: m[0].at):
                target, was = LEG_STATUS[rec.state], leg_now[mid]
                if not (can_transition(was, target) or (was, target) == (S.SUBMITTED, S.READ)):
                    continue
                leg_now[mid], leg_at[mid] = target, rec.at
                row = rows[mid]
                if row.channel != _VIBER or mid in fallbacks:
                    continue
                current = msg_now[mid]
                if target in FALLBACK_ON and _wants_sms(row) and current in FALLBACK_FROM:
                    fallbacks[mid] = target
                elif can_transition(current, target) or (current, target) == (S.SUBMITTED, S.READ):
                    msg_now[mid], msg_at[mid] = target, rec.at
                    changes.append(StatusChange(mid, int(row.account_id), target, rec.at))
            if leg_at:
                await conn.execute(
                    _SET_LEG,
                    [
                        {"b_id": m, "b_status": leg_now[m].value, "b_at": at}
                        for m, at in sorted(leg_at.items())
                    ],
                )
            if msg_at:
                await conn.execute(
                    _SET_MESSAGE,
                    [
                        _message(rows[m], msg_now[m], at, rows[m].due_at, rows[m].connector)
                        for m, at in sorted(msg_at.items())
                    ],
                )
            now = max(leg_at.values(), default=None) or matched[0][0].at
            changes += await self._start_sms(conn, rows, fallbacks, now)
        return ViberApplied(changes=changes, unmatched=unmatched)

    # --- deadlines -----------------------------------------------------------------------------

    async def expire_legs(self, now: datetime, limit: int) -> list[StatusChange]:
        """Legs still ``submitted`` past ``viber_until`` -> ``expired`` (no refund: the
        provider took them); a cascade starts its SMS leg, otherwise the message expires."""
        if limit <= 0:
            return []
        pick = (
            select(viber_legs.c.message_id)
            .where(viber_legs.c.status == S.SUBMITTED.value, viber_legs.c.viber_until <= now)
            .order_by(viber_legs.c.viber_until, viber_legs.c.message_id)
            .limit(limit)
        )
        async with self._db.read() as conn:  # idle passes never take the write lock
            if not (await conn.execute(pick)).first():
                return []
        if self._pg:  # another process's pass takes other legs
            pick = pick.with_for_update(skip_locked=True)
        changes: list[StatusChange] = []
        async with self._db.write() as conn:
            ids = {int(i) for i in (await conn.execute(pick)).scalars()}
            if not ids:
                return []
            rows = await self._lock(conn, ids)
            await conn.execute(
                _SET_LEG,
                [{"b_id": m, "b_status": S.EXPIRED.value, "b_at": now} for m in sorted(ids)],
            )
            updates: list[dict[str, Any]] = []
            fallbacks: dict[int, MessageStatus] = {}
            for mid, row in sorted(rows.items()):
                current = S(row.status)
                if row.channel != _VIBER:
                    continue
                if _wants_sms(row) and current in FALLBACK_FROM:
                    fallbacks[mid] = S.EXPIRED
                elif can_transition(current, S.EXPIRED):
                    updates.append(_message(row, S.EXPIRED, now, row.due_at, row.connector))
                    changes.append(StatusChange(mid, int(row.account_id), S.EXPIRED, now))
            if updates:
                await conn.execute(_SET_MESSAGE, updates)
            changes += await self._start_sms(conn, rows, fallbacks, now)
        return changes

    # --- the SMS leg ---------------------------------------------------------------------------

    async def _start_sms(
        self,
        conn: AsyncConnection,
        rows: dict[int, _Row],
        fallbacks: dict[int, MessageStatus],
        now: datetime,
    ) -> list[StatusChange]:
        """Turn each message into its SMS leg, charged now like a direct SMS at every level
        (``store/cascade_charges.py``); one that cannot be sent (account or reseller locked,
        sender not approved, no SMS price at some level, no money at some level, validity over)
        ends with its Viber leg's status, and the reason is kept in
        ``viber_legs.fallback_error``."""
        if not fallbacks:
            return []
        legs = []
        for mid in sorted(fallbacks):
            row, extra = rows[mid], _extra(rows[mid])
            legs.append(
                SmsLeg(
                    message_id=mid,
                    account_id=int(row.account_id),
                    phone=row.phone,
                    sender=extra.get(EXTRA_SMS_SENDER, ""),
                    text=extra.get(EXTRA_SMS_TEXT, ""),
                    parts=int(extra.get(EXTRA_SMS_PARTS, "1")),
                    valid_until=row.valid_until,
                )
            )
        decided = await charge_sms_legs(conn, self._db, self._tariffs, legs, now)
        changes: list[StatusChange] = []
        to_sms: list[dict[str, Any]] = []
        ended: list[dict[str, Any]] = []
        fallback_rows: list[dict[str, Any]] = []
        for leg in legs:
            mid, row, outcome = leg.message_id, rows[leg.message_id], decided[leg.message_id]
            error = outcome if isinstance(outcome, str) else None
            fallback_rows.append(
                {"b_id": mid, "b_sms_at": None if error else now, "b_error": error}
            )
            if isinstance(outcome, str):
                ended.append(_message(row, fallbacks[mid], now, row.due_at, row.connector))
                changes.append(StatusChange(mid, leg.account_id, fallbacks[mid], now))
                continue
            to_sms.append(
                {
                    "b_id": mid,
                    "b_sender": leg.sender,
                    "b_text": leg.text,
                    "b_parts": leg.parts,
                    "b_price": outcome.price.micros,
                    "b_due_at": now,
                }
            )
            changes.append(StatusChange(mid, leg.account_id, S.QUEUED, now))
        await conn.execute(_LEG_FALLBACK, fallback_rows)
        if ended:
            await conn.execute(_SET_MESSAGE, ended)
        if to_sms:
            await conn.execute(_TO_SMS, to_sms)
        return changes

    # --- queries -------------------------------------------------------------------------------

    async def channel_states(self, message_ids: Sequence[int]) -> dict[int, ChannelState]:
        """Per-channel statuses of messages (absent ids are left out): the Viber leg's own
        status, and the SMS leg's (the message's) once it exists. For webhooks and X2/X3."""
        wanted = sorted({int(i) for i in message_ids if 0 < int(i) < 2**63})
        if not wanted:
            return {}
        joined = messages.outerjoin(viber_legs, viber_legs.c.message_id == messages.c.id)
        query = (
            select(
                messages.c.id,
                messages.c.channel,
                messages.c.status,
                messages.c.status_at,
                viber_legs.c.message_id.label("leg"),
                viber_legs.c.status.label("leg_status"),
                viber_legs.c.status_at.label("leg_at"),
            )
            .select_from(joined)
            .where(self._db.one_of(messages.c.id, wanted))
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        out: dict[int, ChannelState] = {}
        for r in rows:
            mid, status = int(r.id), S(r.status)
            if r.channel == Channel.SMS.value:  # an SMS message, or a cascade's SMS leg
                state = ChannelState(mid, sms=status, sms_at=r.status_at)
            else:
                state = ChannelState(mid, viber=status, viber_at=r.status_at)
            if r.leg is not None:  # the Viber leg's own status wins over the row's
                state = replace(state, viber=S(r.leg_status), viber_at=r.leg_at)
            out[mid] = state
        return out

    async def _lock(self, conn: AsyncConnection, ids: set[int]) -> dict[int, _Row]:
        query = (
            select(
                messages.c.id,
                messages.c.account_id,
                messages.c.status,
                messages.c.channel,
                messages.c.phone,
                messages.c.parts,
                messages.c.price_micros,
                messages.c.due_at,
                messages.c.valid_until,
                messages.c.connector,
                messages.c.extra,
            )
            .where(and_(self._db.one_of(messages.c.id, sorted(ids))))
            .order_by(messages.c.id)
        )
        if self._pg:
            query = query.with_for_update()
        return {int(r.id): r for r in await conn.execute(query)}


_LEG_END = {SendVerdict.REFUSED: S.REJECTED, SendVerdict.LATE: S.EXPIRED}


def _message(
    row: _Row,
    status: MessageStatus,
    at: datetime | None,
    due_at: datetime | None,
    connector: str | None,
) -> dict[str, Any]:
    return {
        "b_id": int(row.id),
        "b_status": status.value,
        "b_status_at": at if status.is_final else None,
        "b_due_at": due_at or row.due_at,
        "b_connector": connector,
    }
