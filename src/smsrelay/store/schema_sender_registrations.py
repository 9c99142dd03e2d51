"""Sender-name registrations (X5/X6).

Tables are defined on ``smsrelay.store.schema.metadata``.

* ``sender_registrations``: what a client filed with a sender name (X6). The name's moderation
  state stays in the shared ``senders`` table (read by the acceptance decision); this row holds
  the registration number (``id_originator``) and the details an operator looks at. A
  registration may point at an uploaded document (``schema_files.uploaded_files``).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint

from .schema import Id, UtcDateTime, metadata

__all__ = ["sender_registrations"]

sender_registrations = Table(
    "sender_registrations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),  # id_originator
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("name", String, nullable=False),
    Column("inn", String, nullable=False, server_default=""),
    Column("kpp", String, nullable=False, server_default=""),
    Column("ogrn", String, nullable=False, server_default=""),
    Column("name_counterparty", Text, nullable=False, server_default=""),
    Column("template", Text, nullable=False, server_default=""),
    Column("operator", String, nullable=False, server_default=""),
    Column("mcc", String, nullable=False, server_default=""),
    Column("mnc", String, nullable=False, server_default=""),
    Column("file_href", Text, nullable=False, server_default=""),
    Column("file_id", Id, ForeignKey("uploaded_files.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "name"),
    sqlite_autoincrement=True,
)
