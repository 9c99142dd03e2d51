"""The ``services.account_admin.AccountAdminStore`` port: password, token, sender removal,
statement and rate limits of one account."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.money import Money
from ..services.account_admin import StatementLine
from .database import Database
from .schema import accounts, ledger, senders
from .schema_routing import rate_limits

__all__ = ["SqlAccountAdmin"]


class SqlAccountAdmin:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def set_password_hash(self, account_id: int, password_hash: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(password_hash=password_hash)
            )

    async def set_token(self, account_id: int, token: str) -> None:
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    update(accounts).where(accounts.c.id == account_id).values(token=token)
                )
        except IntegrityError as exc:
            raise LookupError("token already taken") from exc

    async def remove_sender(self, account_id: int, name: str) -> bool:
        async with self._db.write() as conn:
            done = await conn.execute(
                delete(senders).where(senders.c.account_id == account_id, senders.c.name == name)
            )
        return bool(done.rowcount)

    async def statement(self, account_id: int, limit: int) -> list[StatementLine]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(ledger)
                .where(ledger.c.account_id == account_id)
                .order_by(ledger.c.id.desc())
                .limit(limit)
            )
            return [
                StatementLine(
                    r.created_at,
                    r.kind,
                    Money(int(r.amount_micros)),
                    None if r.message_id is None else int(r.message_id),
                )
                for r in rows
            ]

    async def limits(self, account_id: int) -> list[tuple[str, float]]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(rate_limits.c.sender, rate_limits.c.parts_per_s)
                .where(rate_limits.c.account_id == account_id)
                .order_by(rate_limits.c.sender)
            )
            return [(r.sender, float(r.parts_per_s)) for r in rows]
