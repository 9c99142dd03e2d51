"""Compliance at delivery, in SQL: the facts a claim reads with the claimed rows, and the
cancellation (with refund and stored reason) of the messages that fail the check.

The facts are correlated subqueries in the claiming ``UPDATE ... RETURNING`` itself (primary
key / unique-index lookups per claimed row): checking a batch costs no extra statement and no
extra round trip. Only when a message fails does the transaction run the few statements of
:func:`cancel_refused` (rare). Nothing is cached, so a change to the STOP list, the account or
a sender is seen by the very next claim (nothing to invalidate).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Row,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.compliance import DeliveryRefusal, delivery_refusal
from ..domain.optout import EXTRA_OPTOUT_NOTICE
from ..domain.senders import SenderState
from ..domain.status import MessageStatus, check_transition
from ..services.ports import StatusChange
from .database import Database
from .ledger import move_money
from .schema import accounts, message_parts, messages, senders, stop_list
from .schema_compliance import delivery_refusals

__all__ = ["CHECK_COLUMNS", "cancel_refused", "refusal_of", "store_reasons"]

_Row = Row[*tuple[Any, ...]]

# The outer row's columns are named in full: SQLite's RETURNING renders column objects without
# their table, which inside a subquery would name the subquery's own table.
_M_ACCOUNT: ColumnClause[int] = literal_column("messages.account_id")
_M_PHONE: ColumnClause[str] = literal_column("messages.phone")
_M_SENDER: ColumnClause[str] = literal_column("messages.sender")

#: the account's standing and the sender's state in one lookup: ``locked`` (locked or deleted),
#: ``any`` (may use any sender), else the sender's state (``unregistered``); NULL: no account
_LOCKED, _ANY, _UNREGISTERED = "locked", "any", "unregistered"
_ACCOUNT = (
    select(
        case(
            (or_(accounts.c.locked, not_(accounts.c.active)), literal(_LOCKED)),
            (accounts.c.any_sender, literal(_ANY)),
            else_=func.coalesce(
                select(senders.c.state)
                .where(senders.c.account_id == _M_ACCOUNT, senders.c.name == _M_SENDER)
                .scalar_subquery(),
                literal(_UNREGISTERED),
            ),
        )
    )
    .where(accounts.c.id == _M_ACCOUNT)
    .scalar_subquery()
    .label("c_account")
)
_STOPPED = (
    exists()
    .where(stop_list.c.account_id == _M_ACCOUNT, stop_list.c.phone == _M_PHONE)
    .label("c_stopped")
)

#: add to a ``RETURNING`` (or a select) over ``messages``; read back with :func:`refusal_of`
CHECK_COLUMNS = (_ACCOUNT, _STOPPED)
_PASS = frozenset({_ANY, SenderState.COMPLETED.value})


def refusal_of(row: _Row) -> DeliveryRefusal | None:
    """The check on a row carrying :data:`CHECK_COLUMNS` (the common case: two compares)."""
    standing = row.c_account
    stopped = bool(row.c_stopped) and not _optout_notice(row)
    if standing in _PASS and not stopped:
        return None
    state = None if standing in (None, _LOCKED, _ANY, _UNREGISTERED) else SenderState(standing)
    return delivery_refusal(
        locked=standing == _LOCKED or standing is None,  # no account row: treat as gone
        active=True,
        any_sender=standing == _ANY,
        stopped=stopped,
        sender_state=state,
    )


def _optout_notice(row: _Row) -> bool:
    """The confirmation of an opt-out: the STOP list lets it through (``domain.optout``)."""
    extra: str | None = row._mapping.get("extra")
    if not extra:
        return False
    return EXTRA_OPTOUT_NOTICE in json.loads(extra)


_CANCEL = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(status=MessageStatus.CANCELLED.value, status_at=bindparam("b_at"), lease_until=None)
)


async def store_reasons(
    conn: AsyncConnection, reasons: Sequence[tuple[int, DeliveryRefusal]], now: datetime
) -> None:
    if reasons:
        await conn.execute(
            insert(delivery_refusals),
            [{"message_id": m, "reason": r.value, "created_at": now} for m, r in reasons],
        )


async def cancel_refused(
    db: Database,
    conn: AsyncConnection,
    refused: Sequence[tuple[_Row, DeliveryRefusal, MessageStatus]],
    now: datetime,
) -> list[StatusChange]:
    """Cancel each (row, reason, status it is in) in the caller's transaction: the status,
    the reason, and a refund of ``parts * price`` unless the carrier already took a part."""
    if not refused:
        return []
    ids = sorted(int(r.id) for r, _, _ in refused)
    taken = {
        int(m)
        for (m,) in await conn.execute(
            select(message_parts.c.message_id).where(db.one_of(message_parts.c.message_id, ids))
        )
    }
    changes: list[StatusChange] = []
    refunds: list[tuple[int, int, int]] = []
    for row, _, current in refused:
        check_transition(current, MessageStatus.CANCELLED)
        mid, account = int(row.id), int(row.account_id)
        changes.append(StatusChange(mid, account, MessageStatus.CANCELLED, now))
        if mid not in taken:
            refunds.append((account, mid, int(row.parts) * int(row.price_micros)))
    await conn.execute(_CANCEL, [{"b_id": c.message_id, "b_at": now} for c in changes])
    await store_reasons(conn, [(int(r.id), why) for r, why, _ in refused], now)
    await move_money(conn, refunds, "refund", now)
    return changes
