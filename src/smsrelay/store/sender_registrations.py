"""Sender-name registrations and moderation in storage (X5/X6, operator CLI).

Implements the ``SenderStore`` port of ``services.senders``. The name's moderation state is
the shared ``senders`` table (read by the acceptance decision); ``sender_registrations`` keeps
what the client filed. Every query is scoped by account: another account's senders are
invisible (answered exactly like missing ones).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.senders import SenderState
from ..services.senders import Registration, SenderListing
from .accounts import dialect_insert
from .database import Database
from .schema import accounts, senders
from .schema_sender_registrations import sender_registrations

__all__ = ["SqlSenderRegistrationStore"]

_R = sender_registrations


class SqlSenderRegistrationStore:
    """Sender registrations on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- senders (X5/X6, CLI) ------------------------------------------------------------------

    async def register_sender(
        self, account_id: int, registration: Registration, state: SenderState, now: datetime
    ) -> tuple[int, SenderState]:
        """File (or re-file) a sender name. A name already ``completed`` keeps its state and
        details; otherwise the name takes ``state`` and the new details. Returns
        (id_originator, resulting state)."""
        details = {
            "inn": registration.inn,
            "kpp": registration.kpp,
            "ogrn": registration.ogrn,
            "name_counterparty": registration.name_counterparty,
            "template": registration.template,
            "operator": registration.operator,
            "mcc": registration.mcc,
            "mnc": registration.mnc,
            "file_href": registration.file_href,
            "file_id": registration.file_id,
        }
        async with self._db.write() as conn:
            # one filing per account at a time (PostgreSQL; SQLite has one writer anyway)
            lock = select(accounts.c.id).where(accounts.c.id == account_id).with_for_update()
            await conn.execute(lock)
            current = (
                await conn.execute(
                    select(senders.c.state).where(
                        senders.c.account_id == account_id, senders.c.name == registration.name
                    )
                )
            ).scalar_one_or_none()
            existing = (
                await conn.execute(
                    select(_R.c.id).where(
                        _R.c.account_id == account_id, _R.c.name == registration.name
                    )
                )
            ).scalar_one_or_none()
            if current == SenderState.COMPLETED.value:
                if existing is None:
                    existing = await self._insert_registration(
                        conn, account_id, registration.name, details, now
                    )
                return int(existing), SenderState.COMPLETED
            if existing is None:
                existing = await self._insert_registration(
                    conn, account_id, registration.name, details, now
                )
            else:
                await conn.execute(
                    update(_R).where(_R.c.id == existing).values(**details, updated_at=now)
                )
            fields = {"state": state.value, "comment": registration.comment}
            stmt = dialect_insert(self._db, senders).values(
                account_id=account_id, name=registration.name, history="", **fields
            )
            await conn.execute(
                stmt.on_conflict_do_update(  # type: ignore[attr-defined]
                    index_elements=[senders.c.account_id, senders.c.name], set_=fields
                )
            )
        return int(existing), state

    @staticmethod
    async def _insert_registration(
        conn: AsyncConnection, account_id: int, name: str, details: dict[str, Any], now: datetime
    ) -> int:
        new_id = await conn.scalar(
            insert(_R)
            .values(account_id=account_id, name=name, created_at=now, updated_at=now, **details)
            .returning(_R.c.id)
        )
        assert new_id is not None
        return int(new_id)

    async def sender_listings(self, account_id: int | None) -> list[SenderListing]:
        """Senders (with their registration details when filed through X6), by login and name;
        every account's when ``account_id`` is None."""
        joined = senders.join(
            _R,
            and_(_R.c.account_id == senders.c.account_id, _R.c.name == senders.c.name),
            isouter=True,
        ).join(accounts, accounts.c.id == senders.c.account_id)
        query = select(
            senders,
            _R.c.id.label("reg_id"),
            _R.c.template,
            _R.c.operator,
            _R.c.mcc,
            _R.c.mnc,
            _R.c.inn,
            _R.c.kpp,
            _R.c.ogrn,
            _R.c.name_counterparty,
            _R.c.file_href,
            _R.c.file_id,
            accounts.c.login,
        ).select_from(joined)
        if account_id is not None:
            query = query.where(senders.c.account_id == account_id)
        query = query.order_by(accounts.c.login, senders.c.name)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            SenderListing(
                login=r.login,
                name=r.name,
                state=SenderState(r.state),
                comment=r.comment,
                history=r.history,
                id_originator=None if r.reg_id is None else int(r.reg_id),
                template=r.template or "",
                operator=r.operator or "",
                mcc=r.mcc or "",
                mnc=r.mnc or "",
                inn=r.inn or "",
                kpp=r.kpp or "",
                ogrn=r.ogrn or "",
                name_counterparty=r.name_counterparty or "",
                file_href=r.file_href or "",
                file_id=None if r.file_id is None else int(r.file_id),
            )
            for r in rows
        ]

    async def decide_sender(
        self, account_id: int, name: str, state: SenderState, history: str | None
    ) -> bool:
        """Set a sender's moderation state (and the operator's comment when given).
        False when the account has no such sender."""
        values: dict[str, Any] = {"state": state.value}
        if history is not None:
            values["history"] = history
        async with self._db.write() as conn:
            changed = await conn.execute(
                update(senders)
                .where(senders.c.account_id == account_id, senders.c.name == name)
                .values(**values)
            )
        return bool(changed.rowcount == 1)
