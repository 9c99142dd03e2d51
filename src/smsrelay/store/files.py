"""Uploaded files in storage (X19): their metadata; the bytes live under ``<data_dir>/files``.

Implements the ``FileStore`` port of ``services.files``. Another account's files are invisible
(answered exactly like missing ones).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from ..services.files import StoredFile
from .database import Database
from .schema_files import uploaded_files

__all__ = ["SqlFileStore"]


class SqlFileStore:
    """Uploaded files' metadata on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- files (X19) ---------------------------------------------------------------------------

    async def add_file(self, account_id: int, file: StoredFile, now: datetime) -> int:
        async with self._db.write() as conn:
            new_id = await conn.scalar(
                insert(uploaded_files)
                .values(
                    account_id=account_id,
                    filename=file.filename,
                    content_type=file.content_type,
                    size=file.size,
                    stored_name=file.stored_name,
                    created_at=now,
                )
                .returning(uploaded_files.c.id)
            )
        assert new_id is not None
        return int(new_id)

    async def file_of(self, account_id: int, file_id: int) -> StoredFile | None:
        """The account's own file ``file_id``; None for a missing or foreign id."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(uploaded_files).where(
                        uploaded_files.c.id == file_id, uploaded_files.c.account_id == account_id
                    )
                )
            ).first()
        if row is None:
            return None
        return StoredFile(row.filename, row.content_type, int(row.size), row.stored_name)
