"""Files uploaded by clients (X19), e.g. the documents of a sender registration.

Tables are defined on ``smsrelay.store.schema.metadata``.

* ``uploaded_files``: one row per X19 upload; the bytes live under ``<data_dir>/files``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table

from .schema import Id, UtcDateTime, metadata

__all__ = ["uploaded_files"]

uploaded_files = Table(
    "uploaded_files",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("filename", String, nullable=False),  # as the client named it (sanitized)
    Column("content_type", String, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("stored_name", String, nullable=False, unique=True),  # under <data_dir>/files
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "account_id", "id"),
    sqlite_autoincrement=True,
)
