"""The SMS leg of a Viber->SMS cascade, decided and charged exactly like a direct SMS.

When a cascade's Viber leg fails, its SMS leg is charged in the transaction that ends the Viber
leg (``store/viber.py``): the sending account at its own tariff's SMS price, and, for a
sub-account, every reseller above it (docs/billing.md): credited what the level below paid
(``resale_income``) and debited its own tariff's price (``resale_cost``), one
``message_charges`` row per level with channel ``sms``. The rules are the accept path's own
(:func:`smsrelay.domain.acceptance.decide`): a locked account or reseller, a sender not
approved, a destination a level's tariff does not price, a level that would go below zero each
refuse the leg, and nothing moves for it. Refunds of the SMS leg (rejected parts, expiry)
reverse every level through ``store/resale.py`` like any SMS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.acceptance import (
    MAX_RESELLER_DEPTH,
    Accept,
    AcceptanceContext,
    Refuse,
    decide,
)
from ..domain.errors import RecipientError
from ..domain.messages import Channel, NewMessage
from ..domain.money import Money
from ..domain.senders import SenderState
from .database import Database
from .ledger import move_money
from .schema import accounts, senders
from .schema_tariffs import message_charges
from .tariff_cache import TariffCache

__all__ = ["SmsLeg", "charge_sms_legs"]

_SMS = Channel.SMS.value


@dataclass(frozen=True, slots=True)
class SmsLeg:
    """A cascade message whose SMS leg is about to start."""

    message_id: int
    account_id: int
    phone: str
    sender: str
    text: str
    parts: int
    valid_until: datetime


async def charge_sms_legs(
    conn: AsyncConnection,
    db: Database,
    tariffs: TariffCache,
    legs: Sequence[SmsLeg],
    now: datetime,
) -> dict[int, Accept | str]:
    """Decide and charge each leg (in message id order) inside the caller's transaction, whose
    message rows are already locked; per message, the :class:`Accept` charged, or why the leg
    cannot be sent (a :class:`RecipientError` name, or ``VALIDITY_OVER``)."""
    if not legs:
        return {}
    owners = sorted({leg.account_id for leg in legs})
    rows = await _lock_accounts(conn, db, tariffs, owners)
    await tariffs.refresh(conn)  # each level at its own tariff
    approved = await _senders(conn, db, owners, sorted({leg.sender for leg in legs}))
    wallet: dict[int, int] = {}
    out: dict[int, Accept | str] = {}
    charges: list[tuple[int, int, int]] = []
    income: list[tuple[int, int, int]] = []
    cost: list[tuple[int, int, int]] = []
    levels: list[dict[str, Any]] = []
    for leg in sorted(legs, key=lambda leg: leg.message_id):
        owner = rows.get(leg.account_id)
        if owner is None or owner.locked or not owner.active:
            out[leg.message_id] = RecipientError.ACCOUNT_LOCKED.name
            continue
        if leg.valid_until <= now:
            out[leg.message_id] = "VALIDITY_OVER"
            continue
        ctx = AcceptanceContext(
            account_id=leg.account_id,
            locked=False,
            any_sender=bool(owner.any_sender),
            balance=Money(int(owner.balance_micros)),
            prices=tariffs.price_list(leg.account_id),
            senders=approved.get(leg.account_id, {}),
            stopped=frozenset(),  # the stop list was applied when the cascade was accepted
            known_client_ids=frozenset(),
            upstream=tariffs.upstream(leg.account_id, rows),
        )
        item = NewMessage(
            account_id=leg.account_id,
            phone=leg.phone,
            sender=leg.sender,
            text=leg.text,
            parts=leg.parts,
            channel=Channel.SMS,
            valid_until=leg.valid_until,
        )
        [decision], _ = decide(ctx, [item], wallet)
        if isinstance(decision, Refuse):
            out[leg.message_id] = decision.error.name
            continue
        assert isinstance(decision, Accept)
        out[leg.message_id] = decision
        mid, parts = leg.message_id, leg.parts
        charges.append((leg.account_id, mid, -decision.cost.micros))
        child = leg.account_id
        for n, level in enumerate(decision.resale, start=1):
            income.append((level.account_id, mid, level.income.micros * parts))
            cost.append((level.account_id, mid, -level.price.micros * parts))
            levels.append(
                {
                    "message_id": mid,
                    "level": n,
                    "account_id": level.account_id,
                    "child_id": child,
                    "channel": _SMS,
                    "parts": parts,
                    "price_micros": level.price.micros,
                    "income_micros": level.income.micros,
                    "created_at": now,
                }
            )
            child = level.account_id
    await move_money(conn, charges, "charge", now)
    await move_money(conn, income, "resale_income", now)
    await move_money(conn, cost, "resale_cost", now)
    if levels:
        await conn.execute(insert(message_charges), levels)
    return out


async def _lock_accounts(
    conn: AsyncConnection, db: Database, tariffs: TariffCache, owners: list[int]
) -> dict[int, Any]:
    """The sending accounts and every reseller above them, locked (id order; ``FOR UPDATE`` on
    PostgreSQL) as the accept path locks them; the reseller tree learnt on the way."""
    found: dict[int, Any] = {}
    wanted = {*owners, *tariffs.known_ancestors(owners)}
    for _ in range(MAX_RESELLER_DEPTH + 1):  # again only for resellers not yet known
        query = (
            select(
                accounts.c.id,
                accounts.c.parent_id,
                accounts.c.balance_micros,
                accounts.c.locked,
                accounts.c.any_sender,
                accounts.c.active,
            )
            .where(db.one_of(accounts.c.id, sorted(wanted)))
            .order_by(accounts.c.id)
        )
        if db.dialect == "postgresql":
            query = query.with_for_update()
        for row in await conn.execute(query):
            found[int(row.id)] = row
            tariffs.learn(int(row.id), None if row.parent_id is None else int(row.parent_id))
        wanted = tariffs.missing_ancestors(owners, found)
        if not wanted:
            break
    return found


async def _senders(
    conn: AsyncConnection, db: Database, owners: list[int], names: list[str]
) -> dict[int, dict[str, SenderState]]:
    approved: dict[int, dict[str, SenderState]] = {}
    for s in await conn.execute(
        select(senders.c.account_id, senders.c.name, senders.c.state)
        .where(db.one_of(senders.c.account_id, owners))
        .where(db.one_of(senders.c.name, names))
    ):
        approved.setdefault(int(s.account_id), {})[s.name] = SenderState(s.state)
    return approved
