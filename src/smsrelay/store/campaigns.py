"""Subscribers of a base as campaign recipients (the ``BaseReader`` port; read only)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from .database import Database
from .schema_xml_data import base_phones, bases

__all__ = ["SqlBaseReader"]

_FIELDS = (
    "phone",
    "name",
    "surname",
    "patronymic",
    "date_birth",
    "region",
    "operator",
    *(f"addition_{n}" for n in range(1, 6)),
)


class SqlBaseReader:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def subscribers(self, account_id: int, base_id: int) -> list[Mapping[str, str]] | None:
        async with self._db.read() as conn:
            owner = await conn.scalar(select(bases.c.account_id).where(bases.c.id == base_id))
            if owner is None or int(owner) != account_id:
                return None
            rows = await conn.execute(
                select(*(base_phones.c[f] for f in _FIELDS))
                .where(base_phones.c.base_id == base_id)
                .order_by(base_phones.c.phone)
            )
            return [{f: str(getattr(r, f) or "") for f in _FIELDS} for r in rows]
