"""Self-service registrations (G5) awaiting activation.

Tables are defined on ``smsrelay.store.schema.metadata``. The account itself is an ordinary
``accounts`` row created with ``active = false``; this table keeps what the applicant told us
(one row per registered account) and when an operator activated it.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text

from .schema import Id, UtcDateTime, metadata

__all__ = ["registrations"]

registrations = Table(
    "registrations",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("businessman", String(2), nullable=False),  # le | ip | fl
    Column("name", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("phone", String, nullable=False),
    Column("e_mail", Text, nullable=False),
    Column("inn", String, nullable=False, server_default=""),
    Column("juridical_address", Text, nullable=False, server_default=""),
    Column("company_name", Text, nullable=False, server_default=""),
    Column("ogrnip", String, nullable=False, server_default=""),
    Column("address_facto", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("activated_at", UtcDateTime, nullable=True),
)
