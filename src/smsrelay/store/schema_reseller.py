"""Money a reseller moved to or from its sub-accounts (X20).

Tables are defined on ``smsrelay.store.schema.metadata``.

* ``reseller_transactions``: one row per X20 credit (``id_transaction``), pointing at the two
  ledger rows that moved the money.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table

from .schema import Id, UtcDateTime, metadata

__all__ = ["reseller_transactions"]

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
