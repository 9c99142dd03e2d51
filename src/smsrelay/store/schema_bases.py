"""Subscriber bases and their subscribers (X9-X12) and each base's change time (X17).

Tables are defined on ``smsrelay.store.schema.metadata``.

* ``bases``: one contact base of an account with its birthday-greeting settings (X9/X10).
  ``changed_at`` is the base's last change: its settings or any of its subscribers (X17).
* ``base_phones``: the subscribers of a base (X11/X12), one row per number; ``updated_at`` is
  the row's ``last_update`` (X11 filter).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, text

from .schema import Id, UtcDateTime, metadata

__all__ = ["base_phones", "bases"]

bases = Table(
    "bases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),  # id_base
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("name_base", Text, nullable=False, server_default=""),
    Column("time_birth", String(5), nullable=False, server_default=""),  # HH:MM or ""
    Column("local_time_birth", Boolean, nullable=False, server_default=text("false")),
    Column("day_before", Integer, nullable=False, server_default=text("0")),
    Column("originator_birth", String, nullable=False, server_default=""),
    Column("on_birth", Boolean, nullable=False, server_default=text("false")),
    Column("greeting", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Index(None, "account_id", "id"),
    sqlite_autoincrement=True,
)

base_phones = Table(
    "base_phones",
    metadata,
    Column("base_id", Id, ForeignKey("bases.id"), primary_key=True),
    Column("phone", String, primary_key=True),
    Column("region", Text, nullable=False, server_default=""),
    Column("operator", Text, nullable=False, server_default=""),
    Column("name", Text, nullable=False, server_default=""),
    Column("surname", Text, nullable=False, server_default=""),
    Column("patronymic", Text, nullable=False, server_default=""),
    Column("date_birth", String(10), nullable=False, server_default=""),  # YYYY-MM-DD or ""
    Column("male", String(1), nullable=False, server_default=""),  # m | f | ""
    Column("addition_1", Text, nullable=False, server_default=""),
    Column("addition_2", Text, nullable=False, server_default=""),
    Column("addition_3", Text, nullable=False, server_default=""),
    Column("addition_4", Text, nullable=False, server_default=""),
    Column("addition_5", Text, nullable=False, server_default=""),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "base_id", "updated_at"),
)
