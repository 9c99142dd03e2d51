"""Opt-out by reply: per-account (and per incoming number) settings.

Defined on ``smsrelay.store.schema.metadata``.

* ``optout_settings``: one row per (account, number); ``number`` ``""`` is the account's
  default. Words are stored comma-separated, upper-cased.
* ``ix_messages_phone_id`` on ``messages``: finds the latest message an account sent to a
  phone (an MO answering it opts out of that account too).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text

from .schema import Id, UtcDateTime, messages, metadata

__all__ = ["optout_settings"]

optout_settings = Table(
    "optout_settings",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("number", String, primary_key=True),
    Column("stop_words", Text, nullable=False),
    Column("start_words", Text, nullable=False),
    Column("confirm_text", Text, nullable=False, server_default=""),
    Column("confirm_start_text", Text, nullable=False, server_default=""),
    Column("sender", String, nullable=False, server_default=""),
    Column("updated_at", UtcDateTime, nullable=False),
)

Index("ix_messages_phone_id", messages.c.phone, messages.c.id)
