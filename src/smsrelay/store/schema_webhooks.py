"""Status webhooks (J3/X3/W6): per-account settings, the durable outbox of pushes, attempts.

Tables are defined on ``smsrelay.store.schema.metadata``.

* ``webhooks``: one row per account that wants its statuses pushed (URL, format, secret, root);
* ``webhook_outbox``: one row per client-visible status change of a message of such an account,
  written by a database trigger on ``messages`` in the same transaction as the change (see the
  migration ``0024_webhooks``), then worked off BY STATE with a lease like the delivery queue:
  ``pending`` -> ``sending`` -> ``delivered`` | back to ``pending`` (backoff) | ``failed``;
* ``webhook_attempts``: one row per POST (time, HTTP status or error, sent and acked counts).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, text

from .schema import Id, UtcDateTime, metadata

__all__ = ["webhook_attempts", "webhook_outbox", "webhooks"]

webhooks = Table(
    "webhooks",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("url", Text, nullable=False),
    Column("format", String(8), nullable=False),  # json | xml
    Column("secret", Text, nullable=True),  # HMAC opt-in
    Column("xml_root", String(16), nullable=False, server_default="response"),
    Column("updated_at", UtcDateTime, nullable=False),
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, nullable=False),
    Column("message_id", Id, nullable=False),
    Column("status", String(16), nullable=False),  # MessageStatus at the change
    Column("status_at", UtcDateTime, nullable=True),  # when the status changed
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_at", UtcDateTime, nullable=True),  # NULL: due now
    Column("lease_until", UtcDateTime, nullable=True),
    Column("claim_token", String(32), nullable=True),
    Column("delivery_id", String(32), nullable=True),  # X-Smsrelay-Delivery, kept across retries
    Column("last_result", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    Index(None, "state", "next_at", "id"),
    Index(None, "account_id", "state"),
    sqlite_autoincrement=True,
)

webhook_attempts = Table(
    "webhook_attempts",
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
