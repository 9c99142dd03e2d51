"""Subscribers of bases as campaign and birthday-greeting recipients (``BaseReader`` and
``BirthdayStore`` ports; read only)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from ..services.birthdays import BirthdayBase
from .database import Database
from .schema_bases import base_phones, bases

__all__ = ["SqlBaseReader", "SqlBirthdayStore"]

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


class SqlBirthdayStore:
    """Bases with birthday greetings on, and their subscribers with a birth date."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def birthday_bases(self) -> list[BirthdayBase]:
        async with self._db.read() as conn:
            found = (
                await conn.execute(
                    select(bases).where(bases.c.on_birth.is_(True), bases.c.time_birth != "")
                )
            ).all()
            if not found:
                return []
            ids = [int(b.id) for b in found]
            people: dict[int, list[Mapping[str, str]]] = {i: [] for i in ids}
            rows = await conn.execute(
                select(base_phones.c.base_id, *(base_phones.c[f] for f in _FIELDS))
                .where(self._db.one_of(base_phones.c.base_id, ids))
                .where(base_phones.c.date_birth != "")
                .order_by(base_phones.c.base_id, base_phones.c.phone)
            )
            for r in rows:
                people[int(r.base_id)].append({f: str(getattr(r, f) or "") for f in _FIELDS})
        return [
            BirthdayBase(
                id=int(b.id),
                account_id=int(b.account_id),
                time_birth=b.time_birth,
                local_time_birth=bool(b.local_time_birth),
                day_before=int(b.day_before),
                originator=b.originator_birth,
                greeting=b.greeting,
                subscribers=tuple(people[int(b.id)]),
            )
            for b in found
            if people[int(b.id)]
        ]
