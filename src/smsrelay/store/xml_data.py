"""Subscriber bases, stop-list changes and scheduled messages for the XML data endpoints.

:class:`SqlXmlDataStore` implements the ``BaseStore`` (``services.bases``), ``StopListStore``
(``services.stoplist``) and ``ScheduledStore`` (``services.scheduled``) ports. Every change
request is one write transaction; each base's ``changed_at`` moves with any change of its
settings or subscribers, and a stop-list removal is dated in ``stop_list_changes`` (additions
are dated by their ``stop_list.created_at``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.messages import Channel, MessageKind
from ..domain.status import MessageStatus, check_transition
from ..services.bases import (
    SUBSCRIBER_FIELDS,
    Base,
    BaseOp,
    BaseSettings,
    ChangeResult,
    Subscriber,
    SubscriberChange,
)
from ..services.scheduled import ScheduledMessage
from ..services.stoplist import StopAction, StopOp
from .accounts import dialect_insert
from .database import Database
from .schema import accounts, ledger, messages, stop_list
from .schema_xml_data import base_phones, bases, stop_list_changes

__all__ = ["SqlXmlDataStore"]

_MAX_ID = 2**63
_SETTINGS = (
    "name_base",
    "time_birth",
    "local_time_birth",
    "day_before",
    "originator_birth",
    "on_birth",
    "greeting",
)
_SCHEDULED = MessageStatus.SCHEDULED.value
_CANCELLED = MessageStatus.CANCELLED.value
check_transition(MessageStatus.SCHEDULED, MessageStatus.CANCELLED)  # the lifecycle allows it


def _ids(values: Sequence[int]) -> list[int]:
    """Only ids a BIGINT can hold (anything else matches nothing)."""
    return sorted({int(v) for v in values if 0 < int(v) < _MAX_ID})


def _settings(row: Any) -> BaseSettings:
    return BaseSettings(
        name_base=row.name_base,
        time_birth=row.time_birth,
        local_time_birth=bool(row.local_time_birth),
        day_before=int(row.day_before),
        originator_birth=row.originator_birth,
        on_birth=bool(row.on_birth),
        greeting=row.greeting,
    )


def _settings_values(s: BaseSettings) -> dict[str, Any]:
    return {name: getattr(s, name) for name in _SETTINGS}


class SqlXmlDataStore:
    """The XML data endpoints' storage on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- bases (X9, X10, X17) ------------------------------------------------------------------

    async def list_bases(self, account_id: int) -> list[Base]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(bases).where(bases.c.account_id == account_id).order_by(bases.c.id)
            )
            return [Base(int(r.id), _settings(r)) for r in rows]

    async def change_bases(
        self, account_id: int, ops: Sequence[BaseOp], now: datetime
    ) -> list[tuple[int | None, ChangeResult]]:
        out: list[tuple[int | None, ChangeResult]] = []
        async with self._db.write() as conn:
            for op in ops:
                out.append(await self._change_base(conn, account_id, op, now))
        return out

    async def _change_base(
        self, conn: AsyncConnection, account_id: int, op: BaseOp, now: datetime
    ) -> tuple[int | None, ChangeResult]:
        if op.id_base is None:
            values = _settings_values(op.patch.apply(BaseSettings()))
            new_id = await conn.scalar(
                insert(bases)
                .values(account_id=account_id, created_at=now, changed_at=now, **values)
                .returning(bases.c.id)
            )
            assert new_id is not None
            return int(new_id), ChangeResult.INSERT
        row = await self._own_base(conn, account_id, op.id_base)
        if row is None:
            return op.id_base, ChangeResult.NOT_FOUND
        if op.delete:
            await conn.execute(delete(base_phones).where(base_phones.c.base_id == row.id))
            await conn.execute(delete(bases).where(bases.c.id == row.id))
            return op.id_base, ChangeResult.DELETE
        values = _settings_values(op.patch.apply(_settings(row)))
        await conn.execute(
            update(bases).where(bases.c.id == row.id).values(changed_at=now, **values)
        )
        return op.id_base, ChangeResult.EDIT

    @staticmethod
    async def _own_base(conn: AsyncConnection, account_id: int, base_id: int) -> Any:
        if not 0 < base_id < _MAX_ID:
            return None
        return (
            await conn.execute(
                select(bases).where(bases.c.id == base_id, bases.c.account_id == account_id)
            )
        ).first()

    async def base_changed_at(self, account_id: int, base_id: int) -> datetime | None:
        async with self._db.read() as conn:
            row = await self._own_base(conn, account_id, base_id)
        return None if row is None else row.changed_at

    # --- subscribers (X11, X12) ----------------------------------------------------------------

    async def phone_page(
        self, account_id: int, base_id: int, since: datetime | None, offset: int, limit: int
    ) -> tuple[int, list[Subscriber]] | None:
        async with self._db.read() as conn:
            if await self._own_base(conn, account_id, base_id) is None:
                return None
            where = [base_phones.c.base_id == base_id]
            if since is not None:
                where.append(base_phones.c.updated_at >= since)
            total = int(
                await conn.scalar(select(func.count()).select_from(base_phones).where(*where)) or 0
            )
            rows = await conn.execute(
                select(base_phones)
                .where(*where)
                .order_by(base_phones.c.phone)
                .offset(offset)
                .limit(limit)
            )
            found = [
                Subscriber(
                    phone=r.phone,
                    fields={name: getattr(r, name) for name in SUBSCRIBER_FIELDS},
                    updated_at=r.updated_at,
                )
                for r in rows
            ]
        return total, found

    async def change_phones(
        self,
        account_id: int,
        batches: Sequence[tuple[int, Sequence[SubscriberChange]]],
        now: datetime,
    ) -> list[list[ChangeResult]] | None:
        async with self._db.write() as conn:
            for base_id, _ in batches:
                if await self._own_base(conn, account_id, base_id) is None:
                    return None
            out = [await self._change_phones(conn, b, changes, now) for b, changes in batches]
            touched = sorted({b for b, changes in batches if changes})
            if touched:
                await conn.execute(
                    update(bases).where(self._db.one_of(bases.c.id, touched)).values(changed_at=now)
                )
        return out

    async def _change_phones(
        self,
        conn: AsyncConnection,
        base_id: int,
        changes: Sequence[SubscriberChange],
        now: datetime,
    ) -> list[ChangeResult]:
        """Load the rows the changes name, apply the changes in memory in order, then write
        the difference with at most three statements."""
        phones = sorted({c.phone for c in changes})
        if not phones:
            return []
        rows = await conn.execute(
            select(base_phones).where(
                base_phones.c.base_id == base_id, self._db.one_of(base_phones.c.phone, phones)
            )
        )
        before = {r.phone: {n: getattr(r, n) for n in SUBSCRIBER_FIELDS} for r in rows}
        after: dict[str, dict[str, str] | None] = dict(before)
        results: list[ChangeResult] = []
        for c in changes:
            current = after.get(c.phone)
            if c.delete:
                results.append(ChangeResult.NOT_FOUND if current is None else ChangeResult.DELETE)
                after[c.phone] = None
                continue
            if current is None:
                fresh = {n: "" for n in SUBSCRIBER_FIELDS} | dict(c.detected) | dict(c.given)
                after[c.phone] = fresh
                results.append(ChangeResult.INSERT)
            else:
                after[c.phone] = current | dict(c.given)
                results.append(ChangeResult.EDIT)
        gone = [p for p in before if after.get(p) is None]
        if gone:
            await conn.execute(
                delete(base_phones).where(
                    base_phones.c.base_id == base_id, self._db.one_of(base_phones.c.phone, gone)
                )
            )
        kept = [(p, v) for p, v in after.items() if v is not None and p in before]
        if kept:
            await conn.execute(
                update(base_phones)
                .where(
                    base_phones.c.base_id == base_id, base_phones.c.phone == bindparam("b_phone")
                )
                .values(updated_at=now, **{n: bindparam(f"b_{n}") for n in SUBSCRIBER_FIELDS}),
                [{"b_phone": p, **{f"b_{n}": v[n] for n in SUBSCRIBER_FIELDS}} for p, v in kept],
            )
        added = [(p, v) for p, v in after.items() if v is not None and p not in before]
        if added:
            await conn.execute(
                insert(base_phones),
                [{"base_id": base_id, "phone": p, "updated_at": now, **v} for p, v in added],
            )
        return results

    # --- stop list (X13, X14, X17) -------------------------------------------------------------

    async def stop_phones(self, account_id: int) -> list[str]:
        async with self._db.read() as conn:
            found = await conn.scalars(
                select(stop_list.c.phone)
                .where(stop_list.c.account_id == account_id)
                .order_by(stop_list.c.phone)
            )
            return list(found)

    async def change_stop_list(
        self, account_id: int, ops: Sequence[StopOp], now: datetime
    ) -> list[ChangeResult]:
        if not ops:
            return []
        results: list[ChangeResult] = []
        removed = False
        add = (
            dialect_insert(self._db, stop_list)
            .values(account_id=account_id, phone=bindparam("b_phone"), created_at=now)
            .on_conflict_do_nothing(  # type: ignore[attr-defined]
                index_elements=[stop_list.c.account_id, stop_list.c.phone]
            )
        )
        remove = delete(stop_list).where(
            stop_list.c.account_id == account_id, stop_list.c.phone == bindparam("b_phone")
        )
        async with self._db.write() as conn:
            for op in ops:
                if op.action is StopAction.ADD:
                    await conn.execute(add, {"b_phone": op.phone})
                    results.append(ChangeResult.ADD)
                    continue
                gone = (await conn.execute(remove, {"b_phone": op.phone})).rowcount == 1
                results.append(ChangeResult.DELETE if gone else ChangeResult.NOT_FOUND)
                removed = removed or gone
            if removed:
                stamp = (
                    dialect_insert(self._db, stop_list_changes)
                    .values(account_id=account_id, changed_at=now)
                    .on_conflict_do_update(  # type: ignore[attr-defined]
                        index_elements=[stop_list_changes.c.account_id],
                        set_={"changed_at": now},
                    )
                )
                await conn.execute(stamp)
        return results

    async def stop_list_changed_at(self, account_id: int) -> datetime:
        """Raises ``LookupError`` for an unknown account."""
        async with self._db.read() as conn:
            created = await conn.scalar(
                select(accounts.c.created_at).where(accounts.c.id == account_id)
            )
            if created is None:
                raise LookupError(f"no account {account_id}")
            added = await conn.scalar(
                select(func.max(stop_list.c.created_at)).where(stop_list.c.account_id == account_id)
            )
            removed = await conn.scalar(
                select(stop_list_changes.c.changed_at).where(
                    stop_list_changes.c.account_id == account_id
                )
            )
        changes = [t for t in (added, removed) if t is not None]
        latest: datetime = max(changes) if changes else created
        return latest

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
