"""XML account features: sender registrations (X5/X6), uploaded files (X19), reseller credits (X20).

Tables are defined on ``smsrelay.store.schema.metadata``.

* ``sender_registrations``: what a client filed with a sender name (X6). The name's moderation
  state stays in the shared ``senders`` table (read by the acceptance decision); this row holds
  the registration number (``id_originator``) and the details an operator looks at.
* ``uploaded_files``: one row per X19 upload; the bytes live under ``<data_dir>/files``.
* ``reseller_transactions``: one row per X20 credit (``id_transaction``), pointing at the two
  ledger rows that moved the money.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from .schema import Id, UtcDateTime, metadata

__all__ = ["reseller_transactions", "sender_registrations", "uploaded_files"]

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

reseller_transactions = Table(
    "reseller_transactions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),  # id_transaction
    Column("reseller_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("client_id", Id, ForeignKey("accounts.id"), nullable=False),
    # signed: + moved from the reseller to the client, - back from the client (write_off)
    Column("amount_micros", BigInteger, nullable=False),
    Column("type_transaction", String(32), nullable=False),
    Column("reseller_ledger_id", Id, ForeignKey("ledger.id"), nullable=False),
    Column("client_ledger_id", Id, ForeignKey("ledger.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "reseller_id", "id"),
    sqlite_autoincrement=True,
)
