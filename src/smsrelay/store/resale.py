"""Reversing (or re-stating) the reseller levels of messages, inside the caller's transaction.

Every path that gives a sending account money back (rejected parts, expiry, cancelled scheduled
messages, a refused Viber leg) or changes what a message costs (a route price, another part
count) calls one of these with the same transaction, so each reseller level moves back by
exactly what it moved at acceptance: its income and its cost for the parts concerned, each with
a ledger row naming the message (docs/billing.md). Accounts without resellers have no
``message_charges`` rows: one indexed read, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import Database
from .ledger import BALANCE_CHANGE
from .schema import ledger
from .schema_tariffs import message_charges

__all__ = ["refund_resale", "restate_resale"]

_SET = (
    update(message_charges)
    .where(
        message_charges.c.message_id == bindparam("b_message"),
        message_charges.c.level == bindparam("b_level"),
        message_charges.c.channel == bindparam("b_channel"),
    )
    .values(parts=bindparam("b_parts"), income_micros=bindparam("b_income"))
)


async def refund_resale(
    conn: AsyncConnection,
    db: Database,
    parts_back: Mapping[int, int],
    now: datetime,
    channels: Mapping[int, str] | None = None,
) -> None:
    """Give back ``parts_back[message]`` parts at every reseller level of each message (only
    the levels charged for ``channels[message]``, if given: a cascade's SMS leg is not the
    Viber charge)."""
    wanted = {m: p for m, p in parts_back.items() if p > 0}
    if wanted:
        await _restate(conn, db, wanted, {}, now, channels, refund=True)


async def restate_resale(
    conn: AsyncConnection,
    db: Database,
    parts: Mapping[int, int],
    end_price: Mapping[int, int],
    now: datetime,
    channels: Mapping[int, str] | None = None,
) -> None:
    """A message now counts ``parts[message]`` parts, and its sender pays ``end_price[message]``
    per part (the first level's income): move each level by the difference (only the levels
    charged for ``channels[message]``, if given)."""
    if parts:
        await _restate(conn, db, dict(parts), dict(end_price), now, channels, refund=False)


async def _restate(
    conn: AsyncConnection,
    db: Database,
    numbers: dict[int, int],
    end_price: dict[int, int],
    now: datetime,
    channels: Mapping[int, str] | None,
    *,
    refund: bool,
) -> None:
    query = select(message_charges).where(db.one_of(message_charges.c.message_id, sorted(numbers)))
    rows = (await conn.execute(query.order_by(message_charges.c.message_id))).all()
    if not rows:
        return
    delta: dict[int, int] = {}
    ledger_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for r in rows:
        if channels is not None and channels.get(int(r.message_id)) != r.channel:
            continue
        mid, old_parts = int(r.message_id), int(r.parts)
        price, old_income = int(r.price_micros), int(r.income_micros)
        new_parts = max(0, old_parts - numbers[mid]) if refund else numbers[mid]
        new_income = end_price.get(mid, old_income) if int(r.level) == 1 else old_income
        income_change = new_parts * new_income - old_parts * old_income
        cost_change = new_parts * price - old_parts * price
        if (new_parts, new_income) == (old_parts, old_income):
            continue
        account = int(r.account_id)
        delta[account] = delta.get(account, 0) + income_change - cost_change
        for kind, amount in (("resale_income", income_change), ("resale_cost", -cost_change)):
            if amount:
                ledger_rows.append(
                    {
                        "account_id": account,
                        "amount_micros": amount,
                        "kind": kind,
                        "message_id": mid,
                        "created_at": now,
                    }
                )
        updates.append(
            {
                "b_message": mid,
                "b_level": int(r.level),
                "b_channel": r.channel,
                "b_parts": new_parts,
                "b_income": new_income,
            }
        )
    if updates:
        await conn.execute(_SET, updates)
    changed = sorted((a, m) for a, m in delta.items() if m)
    if changed:
        await conn.execute(BALANCE_CHANGE, [{"b_account": a, "b_amount": m} for a, m in changed])
    if ledger_rows:
        await conn.execute(insert(ledger), ledger_rows)
