"""Viber and the Viber->SMS cascade: per-channel state of each message.

Tables are defined on ``smsrelay.store.schema.metadata``.

A message sent by Viber keeps its row in ``messages`` (the row always describes the *current*
leg: channel, sender, text, parts, price, status). ``viber_legs`` holds its Viber leg from
the moment the provider was asked: the provider's id (callbacks match on it), the leg's own
status, its deadline, what it cost, and whether the cascade fell back to SMS.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table

from .schema import Id, UtcDateTime, metadata

__all__ = ["viber_legs"]

viber_legs = Table(
    "viber_legs",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id"), primary_key=True),
    Column("connector", String, nullable=False),
    Column("provider_id", String, nullable=True),  # None: the provider never took it
    Column("status", String(16), nullable=False),  # a MessageStatus value, for this leg only
    Column("status_at", UtcDateTime, nullable=True),
    Column("viber_until", UtcDateTime, nullable=False),  # validity_period_viber (capped)
    Column("fallback", String(8), nullable=True),  # type_send_2: "sms" or NULL
    Column("price_micros", BigInteger, nullable=False),  # what the Viber leg cost (per part)
    Column("sms_at", UtcDateTime, nullable=True),  # when the SMS leg was created
    Column("fallback_error", String(32), nullable=True),  # why no SMS leg (RecipientError)
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "connector", "provider_id"),
    # the cascade's timeout pass walks pending legs by deadline
    Index(None, "status", "viber_until"),
)
