"""Reseller credits in storage (X20): money moved between a reseller and its sub-accounts.

Implements the ``ResellerStore`` port of ``services.reseller``. Money moves only together with
ledger rows, in one transaction per X20 document; only the reseller's own active sub-accounts
can be credited (others are answered like missing ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..services.reseller import CreditOrder, CreditOutcome, CreditRefusal
from .database import Database
from .schema import accounts, ledger
from .schema_reseller import reseller_transactions

__all__ = ["SqlResellerStore"]


class SqlResellerStore:
    """Reseller credits on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reseller credits (X20) ----------------------------------------------------------------

    async def credit_clients(
        self, reseller_id: int, orders: Sequence[CreditOrder], now: datetime
    ) -> list[CreditOutcome]:
        """Apply every order in ONE transaction, in order; each moves money between the
        reseller and one of its own sub-accounts, with a ledger row on each side."""
        out: list[CreditOutcome] = []
        async with self._db.write() as conn:
            logins = sorted({o.login for o in orders})
            # the reseller and its named sub-accounts, locked in id order (as accept_batch does)
            rows = (
                await conn.execute(
                    select(accounts.c.id, accounts.c.login, accounts.c.balance_micros)
                    .where(
                        (accounts.c.id == reseller_id)
                        | and_(
                            accounts.c.parent_id == reseller_id,
                            accounts.c.active.is_(True),
                            self._db.one_of(accounts.c.login, logins),
                        )
                    )
                    .order_by(accounts.c.id)
                    .with_for_update()
                )
            ).all()
            balances = {int(r.id): int(r.balance_micros) for r in rows}
            clients = {r.login: int(r.id) for r in rows if int(r.id) != reseller_id}
            reseller_balance = balances[reseller_id]
            for order in orders:
                client_id = clients.get(order.login)
                if client_id is None:
                    out.append(CreditOutcome(order.login, refusal=CreditRefusal.NO_USER))
                    continue
                amount = order.amount.micros if not order.write_off else -order.amount.micros
                if reseller_balance < amount or balances[client_id] < -amount:
                    out.append(CreditOutcome(order.login, refusal=CreditRefusal.NO_MONEY))
                    continue
                reseller_balance -= amount
                balances[client_id] += amount
                tx = await self._move(conn, reseller_id, client_id, amount, order.kind, now)
                out.append(CreditOutcome(order.login, id_transaction=tx))
        return out

    @staticmethod
    async def _move(
        conn: AsyncConnection,
        reseller_id: int,
        client_id: int,
        amount: int,
        kind: str,
        now: datetime,
    ) -> int:
        ids: list[int] = []
        for account_id, delta, ledger_kind in (
            (reseller_id, -amount, "reseller_out" if amount > 0 else "reseller_in"),
            (client_id, amount, "reseller_in" if amount > 0 else "reseller_out"),
        ):
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(balance_micros=accounts.c.balance_micros + delta)
            )
            ledger_id = await conn.scalar(
                insert(ledger)
                .values(
                    account_id=account_id, amount_micros=delta, kind=ledger_kind, created_at=now
                )
                .returning(ledger.c.id)
            )
            assert ledger_id is not None
            ids.append(int(ledger_id))
        tx = await conn.scalar(
            insert(reseller_transactions)
            .values(
                reseller_id=reseller_id,
                client_id=client_id,
                amount_micros=amount,
                type_transaction=kind,
                reseller_ledger_id=ids[0],
                client_ledger_id=ids[1],
                created_at=now,
            )
            .returning(reseller_transactions.c.id)
        )
        assert tx is not None
        return int(tx)
