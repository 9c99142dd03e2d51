"""Compliance at delivery: why a message was stopped when it was about to leave.

Defined on ``smsrelay.store.schema.metadata``.

* ``delivery_refusals``: one row per message the delivery-time check refused
  (``domain.compliance.DeliveryRefusal``); the message itself ends ``cancelled`` and refunded.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table

from .schema import Id, UtcDateTime, metadata

__all__ = ["delivery_refusals"]

delivery_refusals = Table(
    "delivery_refusals",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id"), primary_key=True),
    Column("reason", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
