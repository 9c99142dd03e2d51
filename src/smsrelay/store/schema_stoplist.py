"""When an account's stop list last lost a number (the X17 ``stop`` change time).

Tables are defined on ``smsrelay.store.schema.metadata``. The stop list itself is
``schema.stop_list`` (read by the acceptance decision).

* ``stop_list_changes``: per account, the last time a number left its stop list (additions are
  dated by ``stop_list.created_at``; together they give the X17 ``stop`` change time).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Table

from .schema import Id, UtcDateTime, metadata

__all__ = ["stop_list_changes"]

stop_list_changes = Table(
    "stop_list_changes",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("changed_at", UtcDateTime, nullable=False),
)
