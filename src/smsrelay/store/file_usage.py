"""How much an account has uploaded (X19): the count and total size of its stored files, for
the per-account upload quota (``services/files.py``, docs/security.md)."""

from __future__ import annotations

from sqlalchemy import func, select

from .database import Database
from .schema_files import uploaded_files

__all__ = ["SqlFileUsage"]


class SqlFileUsage:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def file_usage(self, account_id: int) -> tuple[int, int]:
        """(number of files, their total bytes) stored for ``account_id``."""
        query = select(func.count(), func.coalesce(func.sum(uploaded_files.c.size), 0)).where(
            uploaded_files.c.account_id == account_id
        )
        async with self._db.read() as conn:
            count, total = (await conn.execute(query)).one()
        return int(count), int(total)
