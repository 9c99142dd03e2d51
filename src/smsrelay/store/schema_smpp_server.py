"""The customer SMPP server's tables (migration ``0101_smpp_server``).

* ``smpp_access``: an account's SMPP password hash and limits;
* ``smpp_outbox``: deliver_sm owed to customers (receipts and MO), filled by triggers on
  ``messages`` and ``inbound_messages``, claimed with a lease, deleted once acknowledged;
* ``smpp_binds``: live customer binds, refreshed by the process holding them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from .schema import Id, UtcDateTime, metadata

__all__ = ["smpp_access", "smpp_binds", "smpp_outbox"]

smpp_access = Table(
    "smpp_access",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("max_binds", Integer, nullable=False, server_default=text("4")),
    Column("throughput", Integer, nullable=False, server_default=text("30")),  # msg/s
    Column("allowed_cidrs", Text, nullable=False, server_default=""),  # comma-separated
    Column("updated_at", UtcDateTime, nullable=False),
)

smpp_outbox = Table(
    "smpp_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, nullable=False),
    Column("kind", String(8), nullable=False),  # receipt | mo
    Column("ref_id", Id, nullable=False),  # messages.id | inbound_messages.id
    Column("status", String(16), nullable=True),  # receipts: the final status
    Column("created_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_at", UtcDateTime, nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("lease_owner", String(32), nullable=True),
    Index(None, "account_id", "id"),
    sqlite_autoincrement=True,
)

smpp_binds = Table(
    "smpp_binds",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", Id, nullable=False),
    Column("login", String, nullable=False),
    Column("address", String, nullable=False),
    Column("bind_type", String(4), nullable=False),  # trx | tx | rx
    Column("node", String(32), nullable=False),  # the process holding it
    Column("since", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("submits", BigInteger, nullable=False, server_default=text("0")),
    Column("receipts", BigInteger, nullable=False, server_default=text("0")),
    Column("submit_rate", Float, nullable=False, server_default=text("0")),
    Column("receipt_rate", Float, nullable=False, server_default=text("0")),
    Column("outstanding", Integer, nullable=False, server_default=text("0")),
    Column("kick", Boolean, nullable=False, server_default=text("false")),
    Index(None, "account_id"),
)
