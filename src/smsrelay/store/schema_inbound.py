"""Incoming SMS: the numbers/keywords that route MO messages to accounts, and the stored MO
messages (X7).

Tables are defined on ``smsrelay.store.schema.metadata``.

* ``inbound_numbers``: one row per (number, keyword). ``keyword`` is ``""`` for a dedicated
  number (everything sent to it belongs to the account) and the upper-cased leading keyword on
  a shared number. A number may carry both: a matching keyword wins, the rest goes to the
  dedicated owner. ``auto_reply`` (optional) is the text sent back to each MO it routes.
* ``inbound_messages``: every MO message received, routed or not (``account_id`` NULL: no
  known number or keyword; kept so nothing is lost silently). ``prefix`` is the keyword that
  routed it (``""`` for a dedicated number). X7 reads them by (account, received_at).
* ``inbound_repeats``: the time slots claimed by recent MOs, per identity (a digest of
  connector, sender, number and text; ``services.inbound.repeat_identity``). The key makes a
  second claim of a slot fail in any process: that MO is the carrier's repeat of the first
  (``message_id``). Claims older than a few slots are pruned as MOs are stored (0107).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from .schema import Id, UtcDateTime, metadata

__all__ = ["inbound_messages", "inbound_numbers", "inbound_repeats"]

inbound_numbers = Table(
    "inbound_numbers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("number", String, nullable=False),
    Column("keyword", String, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("auto_reply", Text, nullable=True),  # sent back to each routed MO (0102)
    UniqueConstraint("number", "keyword"),
    Index(None, "account_id"),
    sqlite_autoincrement=True,
)

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=True),
    Column("originator", String, nullable=False),
    Column("phone", String, nullable=False),
    Column("prefix", String, nullable=False, server_default=""),
    Column("text", Text, nullable=False),
    Column("connector", String, nullable=False, server_default=""),
    Column("received_at", UtcDateTime, nullable=False),
    Index(None, "account_id", "received_at"),
    sqlite_autoincrement=True,
)

inbound_repeats = Table(
    "inbound_repeats",
    metadata,
    Column("identity", String(64), primary_key=True),
    Column("slot", BigInteger, primary_key=True),
    Column("message_id", Id, nullable=False),  # the MO that claimed it (the first)
    Index(None, "slot"),
)
