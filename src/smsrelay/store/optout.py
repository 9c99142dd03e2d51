"""Opt-out settings and the "who sent to this phone" lookup (the ``OptOutStore`` port)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from ..domain.optout import OptOutSettings
from .accounts import dialect_insert
from .database import Database
from .schema import messages
from .schema_optout import optout_settings

__all__ = ["SqlOptOutStore"]

_O = optout_settings.c


def _settings(row: Any) -> OptOutSettings:
    return OptOutSettings(
        stop_words=tuple(w for w in row.stop_words.split(",") if w),
        start_words=tuple(w for w in row.start_words.split(",") if w),
        confirm_text=row.confirm_text,
        confirm_start_text=row.confirm_start_text,
        sender=row.sender,
    )


class SqlOptOutStore:
    """:class:`smsrelay.services.optout.OptOutStore` on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def settings(self, account_id: int) -> dict[str, OptOutSettings]:
        """The account's rows by number (``""``: the account default)."""
        async with self._db.read() as conn:
            rows = await conn.execute(select(optout_settings).where(_O.account_id == account_id))
            return {r.number: _settings(r) for r in rows}

    async def set_settings(
        self, account_id: int, number: str, settings: OptOutSettings, now: datetime
    ) -> None:
        fields = {
            "stop_words": ",".join(settings.stop_words),
            "start_words": ",".join(settings.start_words),
            "confirm_text": settings.confirm_text,
            "confirm_start_text": settings.confirm_start_text,
            "sender": settings.sender,
            "updated_at": now,
        }
        stmt = dialect_insert(self._db, optout_settings).values(
            account_id=account_id, number=number, **fields
        )
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[_O.account_id, _O.number], set_=fields
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def remove_settings(self, account_id: int, number: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(optout_settings).where(_O.account_id == account_id, _O.number == number)
            )
        return bool(result.rowcount)

    async def all_words(self) -> set[str]:
        """Every configured word of every account (a batch's cheap first filter)."""
        async with self._db.read() as conn:
            rows = await conn.execute(select(_O.stop_words, _O.start_words).distinct())
            return {w for r in rows for col in r for w in col.split(",") if w}

    async def last_sender(self, phone: str, sender: str, since: datetime) -> int | None:
        """The account of the latest message to ``phone`` from ``sender`` created since
        ``since`` (``ix_messages_phone_id``: the phone's messages, newest first)."""
        query = (
            select(messages.c.account_id)
            .where(
                messages.c.phone == phone,
                messages.c.sender == sender,
                messages.c.created_at >= since,
            )
            .order_by(messages.c.id.desc())
            .limit(1)
        )
        async with self._db.read() as conn:
            found = await conn.scalar(query)
        return None if found is None else int(found)
