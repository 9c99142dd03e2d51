"""The stop list as the X13/X14 endpoints see it, and its change time (X17).

:class:`SqlStopListStore` implements the ``StopListStore`` port (``services.stoplist``). A
change request is one write transaction; a removal is dated in ``stop_list_changes``
(additions are dated by their ``stop_list.created_at``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select

from ..services.bases import ChangeResult
from ..services.stoplist import StopAction, StopOp
from .accounts import dialect_insert
from .database import Database
from .schema import accounts, stop_list
from .schema_stoplist import stop_list_changes

__all__ = ["SqlStopListStore"]


class SqlStopListStore:
    """An account's stop list on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- stop list (X13, X14, X17) -------------------------------------------------------------

    async def stop_phones(self, account_id: int) -> list[str]:
        async with self._db.read() as conn:
            found = await conn.scalars(
                select(stop_list.c.phone)
                .where(stop_list.c.account_id == account_id)
                .order_by(stop_list.c.phone)
            )
            return list(found)

    async def change_stop_list(
        self, account_id: int, ops: Sequence[StopOp], now: datetime
    ) -> list[ChangeResult]:
        if not ops:
            return []
        results: list[ChangeResult] = []
        removed = False
        add = (
            dialect_insert(self._db, stop_list)
            .values(account_id=account_id, phone=bindparam("b_phone"), created_at=now)
            .on_conflict_do_nothing(  # type: ignore[attr-defined]
                index_elements=[stop_list.c.account_id, stop_list.c.phone]
            )
        )
        remove = delete(stop_list).where(
            stop_list.c.account_id == account_id, stop_list.c.phone == bindparam("b_phone")
        )
        async with self._db.write() as conn:
            for op in ops:
                if op.action is StopAction.ADD:
                    await conn.execute(add, {"b_phone": op.phone})
                    results.append(ChangeResult.ADD)
                    continue
                gone = (await conn.execute(remove, {"b_phone": op.phone})).rowcount == 1
                results.append(ChangeResult.DELETE if gone else ChangeResult.NOT_FOUND)
                removed = removed or gone
            if removed:
                stamp = (
                    dialect_insert(self._db, stop_list_changes)
                    .values(account_id=account_id, changed_at=now)
                    .on_conflict_do_update(  # type: ignore[attr-defined]
                        index_elements=[stop_list_changes.c.account_id],
                        set_={"changed_at": now},
                    )
                )
                await conn.execute(stamp)
        return results

    async def stop_list_changed_at(self, account_id: int) -> datetime:
        """Raises ``LookupError`` for an unknown account."""
        async with self._db.read() as conn:
            created = await conn.scalar(
                select(accounts.c.created_at).where(accounts.c.id == account_id)
            )
            if created is None:
                raise LookupError(f"no account {account_id}")
            added = await conn.scalar(
                select(func.max(stop_list.c.created_at)).where(stop_list.c.account_id == account_id)
            )
            removed = await conn.scalar(
                select(stop_list_changes.c.changed_at).where(
                    stop_list_changes.c.account_id == account_id
                )
            )
        changes: list[datetime] = [t for t in (added, removed) if t is not None]
        return max(changes) if changes else created
