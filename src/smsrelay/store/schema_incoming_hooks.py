"""Incoming-SMS webhooks: per-account settings and the durable outbox of MO pushes.

Tables are defined on ``smsrelay.store.schema.metadata``. A database trigger on
``inbound_messages`` (migration ``0093``) writes one outbox row per MO routed to an account
that has an incoming webhook, in the transaction that stores the MO; the status-webhook
pusher machinery works the rows off by state with a lease, exactly like status pushes.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, text

from .schema import Id, UtcDateTime, metadata

__all__ = ["incoming_attempts", "incoming_outbox", "incoming_webhooks"]

incoming_webhooks = Table(
    "incoming_webhooks",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("url", Text, nullable=False),
    Column("format", String(8), nullable=False),  # json | xml
    Column("secret", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

incoming_outbox = Table(
    "incoming_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, nullable=False),
    Column("inbound_id", Id, nullable=False),  # inbound_messages.id, the pushed id_sms
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_at", UtcDateTime, nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("claim_token", String(32), nullable=True),
    Column("delivery_id", String(32), nullable=True),
    Column("last_result", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    Index(None, "state", "next_at", "id"),
    sqlite_autoincrement=True,
)

incoming_attempts = Table(
    "incoming_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, nullable=False),
    Column("delivery_id", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("sent", Integer, nullable=False),
    Column("acked", Integer, nullable=False),
    Index(None, "account_id", "id"),
    sqlite_autoincrement=True,
)
