"""Incoming SMS storage (the ``InboundStore`` port): routing numbers and MO messages.

:meth:`SqlInboundStore.save` routes and inserts a whole batch in one write transaction: it
reads the routing rows of the batch's numbers, applies :func:`smsrelay.services.inbound.route`
to each message and inserts them all with their ids returned in order (``RETURNING`` with
``sort_by_parameter_order``: one statement on PostgreSQL, one per row on SQLite, which is fine
at MO volumes). In the same transaction it recognises MOs the carrier delivered again
(``store/mo_repeats.py``): they are stored too, with ``StoredMo.repeat_of`` set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from ..services.inbound import InboundNumber, MoReceived, NumberError, StoredMo, route
from .database import Database
from .mo_repeats import mark_repeats
from .schema import accounts
from .schema_inbound import inbound_messages, inbound_numbers

__all__ = ["SqlInboundStore"]

_M = inbound_messages.c
_N = inbound_numbers.c


def _number(row: Any) -> InboundNumber:
    return InboundNumber(int(row.account_id), row.number, row.keyword)


def _stored(row: Any) -> StoredMo:
    return StoredMo(
        id=int(row.id),
        account_id=None if row.account_id is None else int(row.account_id),
        originator=row.originator,
        phone=row.phone,
        prefix=row.prefix,
        text=row.text,
        received_at=row.received_at,
    )


class SqlInboundStore:
    """:class:`smsrelay.services.inbound.InboundStore` on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- routing numbers ---------------------------------------------------------------

    async def add_number(self, number: InboundNumber, now: datetime) -> None:
        try:
            async with self._db.write() as conn:
                owner = await conn.scalar(
                    select(accounts.c.id).where(accounts.c.id == number.account_id)
                )
                if owner is None:
                    raise NumberError(f"no account with id {number.account_id}")
                await conn.execute(
                    insert(inbound_numbers).values(
                        account_id=number.account_id,
                        number=number.number,
                        keyword=number.keyword,
                        created_at=now,
                    )
                )
        except IntegrityError as exc:
            what = f"keyword {number.keyword!r} on " if number.keyword else ""
            raise NumberError(f"{what}number {number.number} is already taken") from exc

    async def numbers(self, account_id: int | None = None) -> list[InboundNumber]:
        query = select(inbound_numbers).order_by(_N.number, _N.keyword)
        if account_id is not None:
            query = query.where(_N.account_id == account_id)
        async with self._db.read() as conn:
            return [_number(r) for r in await conn.execute(query)]

    async def remove_number(self, number: InboundNumber) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(inbound_numbers).where(
                    _N.account_id == number.account_id,
                    _N.number == number.number,
                    _N.keyword == number.keyword,
                )
            )
        return bool(result.rowcount)

    # --- messages ----------------------------------------------------------------------

    async def save(self, items: Sequence[MoReceived]) -> list[StoredMo]:
        if not items:
            return []
        phones = sorted({m.phone for m in items})
        async with self._db.write() as conn:
            rows = await conn.execute(
                select(inbound_numbers).where(self._db.one_of(_N.number, phones))
            )
            numbers = [_number(r) for r in rows]
            values: list[dict[str, Any]] = []
            for m in items:
                account_id, prefix = route(numbers, m.phone, m.text)
                values.append(
                    {
                        "account_id": account_id,
                        "originator": m.originator,
                        "phone": m.phone,
                        "prefix": prefix,
                        "text": m.text,
                        "connector": m.connector,
                        "received_at": m.received_at,
                    }
                )
            result = await conn.execute(
                insert(inbound_messages).returning(_M.id, sort_by_parameter_order=True), values
            )
            ids = [int(i) for i in result.scalars()]
            repeats = await mark_repeats(conn, self._db, list(zip(ids, items, strict=True)))
        return [
            StoredMo(
                id=new_id,
                account_id=v["account_id"],
                originator=v["originator"],
                phone=v["phone"],
                prefix=v["prefix"],
                text=v["text"],
                received_at=v["received_at"],
                repeat_of=repeats.get(new_id),
            )
            for new_id, v in zip(ids, values, strict=True)
        ]

    async def incoming(
        self, account_id: int, since: datetime, before: datetime | None, limit: int
    ) -> list[StoredMo]:
        query = (
            select(inbound_messages)
            .where(_M.account_id == account_id, _M.received_at >= since)
            .order_by(_M.received_at, _M.id)
            .limit(limit)
        )
        if before is not None:
            query = query.where(_M.received_at < before)
        async with self._db.read() as conn:
            return [_stored(r) for r in await conn.execute(query)]
