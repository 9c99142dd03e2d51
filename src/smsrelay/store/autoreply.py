"""Auto-reply texts of incoming numbers (the ``AutoReplyStore`` port, ``services.autoreply``):
the ``auto_reply`` column of ``inbound_numbers``."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, update

from .database import Database
from .schema_inbound import inbound_numbers

__all__ = ["SqlAutoReplyStore"]

_N = inbound_numbers.c


class SqlAutoReplyStore:
    """:class:`smsrelay.services.autoreply.AutoReplyStore` on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def replies(self, pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if not pairs:
            return {}
        wanted = set(pairs)
        numbers = sorted({number for number, _ in wanted})
        query = select(_N.number, _N.keyword, _N.auto_reply).where(
            self._db.one_of(_N.number, numbers), _N.auto_reply.is_not(None)
        )
        async with self._db.read() as conn:
            rows = list(await conn.execute(query))
        return {
            (r.number, r.keyword): r.auto_reply for r in rows if (r.number, r.keyword) in wanted
        }

    async def set_reply(self, account_id: int, number: str, keyword: str, text: str | None) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(inbound_numbers)
                .where(_N.account_id == account_id, _N.number == number, _N.keyword == keyword)
                .values(auto_reply=text)
            )
        return bool(result.rowcount)
