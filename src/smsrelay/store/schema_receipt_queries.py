"""Receipts that never come: which connectors may be asked with query_sm, and what was
asked about which part (defined on ``smsrelay.store.schema.metadata``)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text, text

from .schema import Id, UtcDateTime, metadata

__all__ = ["connector_options", "receipt_queries"]

#: per-connector operator options (today: may we send query_sm to this carrier?)
connector_options = Table(
    "connector_options",
    metadata,
    Column("connector", String(32), primary_key=True),
    Column("query_sm", Boolean, nullable=False, server_default=text("false")),
)

#: one row per part that was asked about: how often, when last, with what answer
receipt_queries = Table(
    "receipt_queries",
    metadata,
    Column("message_id", Id, primary_key=True),
    Column("part_no", Integer, primary_key=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_at", UtcDateTime, nullable=False),
    Column("result", Text, nullable=False, server_default=""),
)
