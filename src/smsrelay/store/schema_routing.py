"""Carrier links and routes as data (connectors, routes, per-route prices, rate limits).

Tables are defined on ``smsrelay.store.schema.metadata``. Every change bumps
``meta.routing_version`` (:data:`ROUTING_VERSION_KEY`), which running platforms poll.
SMPP bind passwords are stored as given: the platform must present them to the carrier."""

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

from .schema import Id, metadata

__all__ = [
    "ROUTING_VERSION_KEY",
    "rate_limits",
    "routing_connectors",
    "routing_prices",
    "routing_routes",
]

ROUTING_VERSION_KEY = "routing_version"

routing_connectors = Table(
    "routing_connectors",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("host", String, nullable=False),
    Column("port", Integer, nullable=False),
    Column("system_id", String(16), nullable=False),
    Column("password", String(9), nullable=False),
    Column("system_type", String(13), nullable=False, server_default=""),
    Column("bind", String(16), nullable=False),
    Column("window", Integer, nullable=False),
    Column("throughput", Float, nullable=True),  # parts per second; NULL = unlimited
    Column("concat", String(8), nullable=False),
    Column("encoding", String(16), nullable=False),
    Column("binds", Integer, nullable=False, server_default=text("1")),
    Column("source_ton", Integer, nullable=True),
    Column("source_npi", Integer, nullable=True),
    Column("dest_ton", Integer, nullable=False, server_default=text("1")),
    Column("dest_npi", Integer, nullable=False, server_default=text("1")),
)

routing_routes = Table(
    "routing_routes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("prefix", String(16), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=True),  # NULL = every account
    Column("operator", String(64), nullable=False, server_default=""),
    Column("connectors", Text, nullable=False),  # names by priority, comma-separated
    Column("failover_on_undeliv", Boolean, nullable=False, server_default=text("false")),
    Index(None, "prefix", "account_id", "operator"),
    sqlite_autoincrement=True,
)

routing_prices = Table(
    "routing_prices",
    metadata,
    Column("connector", String(32), primary_key=True),
    Column("prefix", String(16), primary_key=True),
    Column("price_micros", BigInteger, nullable=False),
)

rate_limits = Table(
    "rate_limits",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("sender", String, primary_key=True),  # "" = the whole account
    Column("parts_per_s", Float, nullable=False),
)
