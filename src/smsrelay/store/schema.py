"""The relational schema: one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Conventions:

* ids are 64-bit (``id_sms`` exceeds 2^31 in the wild, spec §1.5): ``BIGINT`` on PostgreSQL,
  ``INTEGER PRIMARY KEY AUTOINCREMENT`` on SQLite (the rowid, never reused);
* money is integer micro-units (``*_micros``), never a float;
* every instant is stored in UTC and read back as an aware UTC ``datetime``
  (:class:`UtcDateTime`: SQLite keeps naive text, PostgreSQL ``timestamptz``);
* enums are stored as their string values; client-supplied strings have no length limit in
  the database (the API bounds them) so both databases accept exactly the same rows.

The migrations in ``migrations/versions`` create this schema; ``tests/store`` checks that the
two never drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "PRICES_VERSION_KEY",
    "Id",
    "UtcDateTime",
    "accounts",
    "ledger",
    "message_parts",
    "messages",
    "meta",
    "metadata",
    "prices",
    "senders",
    "sqlite_timestamp",
    "stop_list",
    "utc_timestamp",
]

#: 64-bit ids; on SQLite the column must be exactly ``INTEGER`` to alias the rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")

#: ``meta`` key of the price-list version, bumped by every price change (cache invalidation).
PRICES_VERSION_KEY = "prices_version"

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_timestamp(value: datetime) -> datetime:
    """An aware instant as aware UTC (refuses naive values: their zone is unknown)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime given to the store: {value!r} (use aware UTC)")
    return value.astimezone(UTC)


def sqlite_timestamp(value: datetime) -> str:
    """How SQLite stores an instant: UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts
    as time does (the same text SQLAlchemy's SQLite ``DATETIME`` writes)."""
    return utc_timestamp(value).replace(tzinfo=None).isoformat(" ", "microseconds")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC ``datetime`` in, an aware UTC ``datetime`` out, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = utc_timestamp(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)  # stored as sortable text, always UTC
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"unexpected datetime value from the database: {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData(naming_convention=_NAMING)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("login", String, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("token", String, nullable=True, unique=True),
    Column("balance_micros", BigInteger, nullable=False, server_default=text("0")),
    Column("currency", String(3), nullable=False, server_default="RUR"),
    Column("lang", String(2), nullable=False, server_default="ru"),
    Column("locked", Boolean, nullable=False, server_default=text("false")),
    Column("any_sender", Boolean, nullable=False, server_default=text("false")),
    Column("parent_id", Id, ForeignKey("accounts.id"), nullable=True),
    Column("tz_offset_hours", Integer, nullable=False, server_default=text("0")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("amount_micros", BigInteger, nullable=False),  # signed: + credit, - debit
    Column("kind", String(16), nullable=False),  # charge | refund | topup | manager | ...
    Column("message_id", Id, ForeignKey("messages.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "account_id", "id"),
    sqlite_autoincrement=True,
)

prices = Table(
    "prices",
    metadata,
    Column("prefix", String(16), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("price_micros", BigInteger, nullable=False),
    Column("area", String, nullable=False),
)

senders = Table(
    "senders",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("name", String, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("history", Text, nullable=False, server_default=""),
)

stop_list = Table(
    "stop_list",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("phone", String, primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("client_id_sms", String, nullable=True),
    Column("phone", String, nullable=False),
    Column("sender", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("channel", String(8), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parts", Integer, nullable=False),
    Column("price_micros", BigInteger, nullable=False),  # per part
    Column("status", String(16), nullable=False),
    Column("status_at", UtcDateTime, nullable=True),  # last change to a final status
    Column("created_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("connector", String, nullable=True),
    Column("extra", Text, nullable=True),  # JSON object of kind-specific fields
    Column("area", String, nullable=True),  # the price entry's area (statistics)
    Column("campaign", String, nullable=True),  # name_delivery (index: schema_web_prefs)
    UniqueConstraint("account_id", "client_id_sms"),
    # claims and the release of scheduled messages walk this in (due_at, id) order
    Index(None, "status", "due_at", "id"),
    Index(None, "status", "valid_until"),
    sqlite_autoincrement=True,
)

message_parts = Table(
    "message_parts",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id"), primary_key=True),
    Column("part_no", Integer, primary_key=True),  # 1-based
    Column("connector", String, nullable=False),
    Column("carrier_id", String, nullable=False),
    Column("state", String(16), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "connector", "carrier_id"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


# Feature tables live in their own modules on the same ``metadata``; importing them here keeps
# ``metadata`` describing the whole schema (migrations are compared against it in tests).
from . import (  # noqa: E402,F401,I001
    schema_files,
    schema_sender_registrations,
    schema_reseller,
    schema_bases,
    schema_stoplist,
    schema_inbound,
    schema_registration,
    schema_webhooks,
    schema_viber,
    schema_routing,
    schema_receipt_queries,
    schema_compliance,
    schema_optout,
    schema_web,
    schema_tariffs,
    schema_stats,
    schema_checking,
    schema_incoming_hooks,
    schema_smpp_server,
    schema_web_prefs,
    schema_connector_leases,
)
