"""Tariffs (named price lists), their assignment to accounts, per-account price overrides, and
the reseller levels each message was charged at (docs/billing.md).

Tables are defined on ``smsrelay.store.schema.metadata``. Every change to a tariff, an
assignment or an override bumps ``meta.tariffs_version`` (:data:`TARIFFS_VERSION_KEY`), so the
accept path rebuilds its per-account price lists only when something changed. The default
tariff is the platform ``prices`` table (its own ``prices_version``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from .schema import Id, UtcDateTime, metadata

__all__ = [
    "TARIFFS_VERSION_KEY",
    "account_prices",
    "account_tariffs",
    "message_charges",
    "tariff_prices",
    "tariffs",
]

TARIFFS_VERSION_KEY = "tariffs_version"

tariffs = Table(
    "tariffs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    # NULL: an operator's tariff; otherwise the reseller account that owns (and may assign) it
    Column("owner_id", Id, ForeignKey("accounts.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("owner_id", "name"),
    sqlite_autoincrement=True,
)

tariff_prices = Table(
    "tariff_prices",
    metadata,
    Column("tariff_id", Id, ForeignKey("tariffs.id"), primary_key=True),
    Column("prefix", String(16), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("price_micros", BigInteger, nullable=False),
    Column("area", String, nullable=False),
)

account_tariffs = Table(
    "account_tariffs",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("tariff_id", Id, ForeignKey("tariffs.id"), nullable=False),
)

account_prices = Table(
    "account_prices",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("prefix", String(16), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("price_micros", BigInteger, nullable=False),
    Column("area", String, nullable=False),
)

#: One row per reseller level above the sending account: what that reseller paid per part
#: (``price_micros``, its own tariff) and what the level below paid it per part
#: (``income_micros``), for ``parts`` parts still charged (refunds lower ``parts``).
message_charges = Table(
    "message_charges",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id"), primary_key=True),
    Column("level", Integer, primary_key=True),  # 1 = the sender's parent
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("child_id", Id, ForeignKey("accounts.id"), nullable=False),
    # the leg charged: a Viber->SMS cascade may keep both (0106)
    Column("channel", String(8), primary_key=True),
    Column("parts", Integer, nullable=False),
    Column("price_micros", BigInteger, nullable=False),
    Column("income_micros", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "account_id", "created_at"),
)
