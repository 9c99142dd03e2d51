"""Money movements inside a store transaction: balances and their ledger rows together."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import accounts, ledger

__all__ = ["BALANCE_CHANGE", "move_money"]

#: Add ``b_amount`` micro-units (negative to debit) to account ``b_account``'s balance.
BALANCE_CHANGE = (
    update(accounts)
    .where(accounts.c.id == bindparam("b_account"))
    .values(balance_micros=accounts.c.balance_micros + bindparam("b_amount"))
)


async def move_money(
    conn: AsyncConnection, moves: list[tuple[int, int, int]], kind: str, now: datetime
) -> None:
    """Credit (positive) or debit (negative) ``(account, message, micros)``: one ledger row per
    message, one balance update per account (in id order, so concurrent writers never
    deadlock)."""
    moves = [m for m in moves if m[2] != 0]
    if not moves:
        return
    per_account: dict[int, int] = {}
    for account_id, _, micros in moves:
        per_account[account_id] = per_account.get(account_id, 0) + micros
    await conn.execute(
        BALANCE_CHANGE,
        [{"b_account": a, "b_amount": m} for a, m in sorted(per_account.items())],
    )
    await conn.execute(
        insert(ledger),
        [
            {
                "account_id": a,
                "amount_micros": m,
                "kind": kind,
                "message_id": mid,
                "created_at": now,
            }
            for a, mid, m in moves
        ],
    )
