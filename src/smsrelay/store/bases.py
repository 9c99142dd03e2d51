"""Subscriber bases and their subscribers (X9-X12), and each base's change time (X17).

:class:`SqlBaseStore` implements the ``BaseStore`` port (``services.bases``). Every change
request is one write transaction; each base's ``changed_at`` moves with any change of its
settings or subscribers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..services.bases import (
    SUBSCRIBER_FIELDS,
    Base,
    BaseOp,
    BaseSettings,
    ChangeResult,
    Subscriber,
    SubscriberChange,
)
from .database import Database
from .schema_bases import base_phones, bases

__all__ = ["SqlBaseStore"]

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


class SqlBaseStore:
    """Subscriber bases and subscribers on SQLite or PostgreSQL."""

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

    async def subscriber(self, account_id: int, base_id: int, phone: str) -> Subscriber | None:
        async with self._db.read() as conn:
            if await self._own_base(conn, account_id, base_id) is None:
                return None
            r = (
                await conn.execute(
                    select(base_phones).where(
                        base_phones.c.base_id == base_id, base_phones.c.phone == phone
                    )
                )
            ).first()
        if r is None:
            return None
        return Subscriber(
            phone=r.phone,
            fields={name: getattr(r, name) for name in SUBSCRIBER_FIELDS},
            updated_at=r.updated_at,
        )

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
