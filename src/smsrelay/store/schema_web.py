"""Web side tables (``/lk/`` and ``/admin/``): operators, browser sessions, the audit log,
and the two ``messages`` indexes the cabinet's pages need.

* ``operators``: console users (never client accounts), argon2 hash, role.
* ``web_sessions``: server-side sessions; ``key`` is the SHA-256 of the cookie's session id.
* ``audit_log``: one row per operator action.
* ``messages(account_id, id)``: history pages by keyset, newest first, per account;
  ``messages(account_id, created_at)``: the overview's per-day counts of one account;
  ``messages(account_id, phone)``: history filtered by a phone number or its prefix.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Table, Text

from .schema import Id, UtcDateTime, messages, metadata

__all__ = ["audit_log", "operators", "web_sessions"]

operators = Table(
    "operators",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("key", LargeBinary(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # client | operator
    Column("subject_id", Id, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "expires_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("operator_id", Id, ForeignKey("operators.id"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

Index("ix_messages_account_id_id", messages.c.account_id, messages.c.id)
Index("ix_messages_account_id_created_at", messages.c.account_id, messages.c.created_at)
Index("ix_messages_account_id_phone", messages.c.account_id, messages.c.phone)
