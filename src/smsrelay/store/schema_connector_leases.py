"""Carrier connectors owned by lease: which node runs each connector's binds.

Defined on ``smsrelay.store.schema.metadata``.

* ``connector_leases``: one row per connector name. ``owner`` is the node id
  (``host:pid:random``, ``""`` when free); the owner renews ``expires_at`` every few seconds
  and releases it on a clean shutdown. ``bound`` / ``last_error`` are what the owner last saw
  of its binds, so any node (and ``smsrelay status``) can show them.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from .schema import UtcDateTime, metadata

__all__ = ["connector_leases"]

connector_leases = Table(
    "connector_leases",
    metadata,
    Column("connector", String, primary_key=True),
    Column("owner", String, nullable=False, server_default=""),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("acquired_at", UtcDateTime, nullable=True),
    Column("heartbeat_at", UtcDateTime, nullable=True),
    Column("bound", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=False, server_default=""),
)
