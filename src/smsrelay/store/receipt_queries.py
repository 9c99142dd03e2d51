"""Parts whose receipt is overdue, which connectors may be asked, and what was asked (the
``services.receipt_queries.ReceiptQueryStore`` port)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from ..domain.status import MessageStatus, PartState
from ..services.receipt_queries import OverduePart, QueryOutcome
from .accounts import dialect_insert
from .database import Database
from .schema import message_parts, messages
from .schema_receipt_queries import connector_options, receipt_queries

__all__ = ["SqlReceiptQueries"]


class SqlReceiptQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def allowed_connectors(self) -> set[str]:
        async with self._db.read() as conn:
            rows = await conn.scalars(
                select(connector_options.c.connector).where(connector_options.c.query_sm)
            )
            return set(rows)

    async def set_query_sm(self, connector: str, allowed: bool) -> None:
        stmt = dialect_insert(self._db, connector_options).values(
            connector=connector, query_sm=allowed
        )
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[connector_options.c.connector], set_={"query_sm": allowed}
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def overdue(
        self,
        now: datetime,
        after: timedelta,
        connectors: Sequence[str],
        limit: int,
        max_attempts: int,
    ) -> list[OverduePart]:
        """Pending parts of ``submitted`` messages, on the given connectors, submitted more
        than ``after`` ago and not asked about within ``after`` (at most ``max_attempts``
        times each); oldest first."""
        if not connectors or limit <= 0:
            return []
        p, m, q = message_parts, messages, receipt_queries
        cutoff = now - after
        stmt = (
            select(p.c.message_id, p.c.part_no, p.c.connector, p.c.carrier_id, m.c.sender)
            .select_from(
                p.join(m, m.c.id == p.c.message_id).outerjoin(
                    q, and_(q.c.message_id == p.c.message_id, q.c.part_no == p.c.part_no)
                )
            )
            .where(
                m.c.status == MessageStatus.SUBMITTED.value,
                m.c.valid_until > now,
                p.c.state == PartState.PENDING.value,
                p.c.updated_at < cutoff,
                self._db.one_of(p.c.connector, sorted(connectors)),
                or_(
                    q.c.message_id.is_(None),
                    and_(q.c.attempts < max_attempts, q.c.last_at < cutoff),
                ),
            )
            .order_by(p.c.updated_at, p.c.message_id, p.c.part_no)
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [
                OverduePart(int(r.message_id), int(r.part_no), r.connector, r.carrier_id, r.sender)
                for r in await conn.execute(stmt)
            ]

    async def record(self, outcomes: Sequence[QueryOutcome], now: datetime) -> None:
        if not outcomes:
            return
        async with self._db.write() as conn:
            for o in outcomes:
                stmt = dialect_insert(self._db, receipt_queries).values(
                    message_id=o.part.message_id,
                    part_no=o.part.part_no,
                    attempts=1,
                    last_at=now,
                    result=o.result,
                )
                stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
                    index_elements=[receipt_queries.c.message_id, receipt_queries.c.part_no],
                    set_={
                        "attempts": receipt_queries.c.attempts + 1,
                        "last_at": now,
                        "result": o.result,
                    },
                )
                await conn.execute(stmt)

    async def history(self, message_id: int) -> list[tuple[int, int, datetime, str]]:
        """(part_no, attempts, last_at, result) of the message's parts that were asked about."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(receipt_queries)
                .where(receipt_queries.c.message_id == message_id)
                .order_by(receipt_queries.c.part_no)
            )
            return [(int(r.part_no), int(r.attempts), r.last_at, r.result) for r in rows]
