"""The delivery queue's hot transactions on SQLite, as plain ``sqlite3`` steps for the writer
thread (``store.sqlite_writer``): record submit outcomes, apply receipts.

They read and write exactly what ``store.queue``'s SQLAlchemy transactions do (the decisions
are the same functions, ``store.queue_plans``), with text SQL run by ``executemany`` and
timestamps in SQLite's stored form (``schema.sqlite_timestamp``). Lists of ids go in as one
JSON parameter (``json_each``), as ``Database.one_of`` does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from ..domain.status import PartState
from ..services.ports import ReceiptRecord, ReceiptsApplied, StatusChange, SubmitRecord
from .queue_plans import (
    Key,
    LockedRow,
    match_receipts,
    plan_submits,
    receipt_part_updates,
    settle,
)
from .schema import sqlite_timestamp

__all__ = ["apply_receipts_sqlite", "record_submits_sqlite"]

_IN = "IN (SELECT value FROM json_each(?))"

_LOCKED = f"SELECT id, account_id, status, parts, price_micros, due_at FROM messages WHERE id {_IN}"
_STORE_PART = (
    "INSERT INTO message_parts (message_id, part_no, connector, carrier_id, state, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, part_no) DO UPDATE SET"
    " connector = excluded.connector, carrier_id = excluded.carrier_id,"
    " updated_at = excluded.updated_at WHERE message_parts.state = ?"
)
_SET_STATUS = (
    "UPDATE messages SET status = ?, status_at = ?, due_at = ?, lease_until = NULL,"
    " connector = ? WHERE id = ?"
)
_FIND_PARTS = (
    "SELECT connector, carrier_id, message_id, part_no FROM message_parts"
    f" WHERE connector {_IN} AND carrier_id {_IN} ORDER BY message_id, part_no"
)
_PART_STATES = (
    "SELECT message_id, part_no, state FROM message_parts"
    f" WHERE message_id {_IN} ORDER BY message_id, part_no"
)
_SET_PART = (
    "UPDATE message_parts SET state = ?, updated_at = ? WHERE message_id = ? AND part_no = ?"
)
_SET_FINAL = "UPDATE messages SET status = ?, status_at = ?, lease_until = NULL WHERE id = ?"

_PENDING = PartState.PENDING.value


def _ids(values: Sequence[object]) -> str:
    return json.dumps(sorted(values))


def _locked(con: sqlite3.Connection, ids: set[int]) -> dict[int, LockedRow]:
    return {r[0]: LockedRow(*r) for r in con.execute(_LOCKED, (_ids(list(ids)),))}


def record_submits_sqlite(
    con: sqlite3.Connection, records: Sequence[SubmitRecord], now: datetime
) -> list[StatusChange]:
    """``SqlDeliveryQueue.record_submits`` without refunds (the caller checks that no record
    has rejected parts: those take the SQLAlchemy path, which moves money)."""
    current = _locked(con, {r.message_id for r in records})
    plan = plan_submits(records, current, now, sqlite_timestamp)
    if plan.refunds or plan.parts_back:  # pragma: no cover - the caller routes these away
        raise AssertionError("refunds are not written by the SQLite fast path")
    stamp = sqlite_timestamp(now)
    if plan.parts:
        con.executemany(
            _STORE_PART,
            [
                (mid, part, connector, carrier_id, _PENDING, stamp, _PENDING)
                for (mid, part), (connector, carrier_id) in sorted(plan.parts.items())
            ],
        )
    if plan.updates:
        con.executemany(
            _SET_STATUS,
            [
                (status, stamp if final else None, due_at, connector, mid)
                for mid, status, final, due_at, connector in plan.updates
            ],
        )
    return plan.changes


def apply_receipts_sqlite(
    con: sqlite3.Connection, receipts: Sequence[ReceiptRecord]
) -> ReceiptsApplied:
    """``SqlDeliveryQueue.apply_receipts`` in one step."""
    connectors = _ids(list({r.connector for r in receipts}))
    carrier_ids = _ids(list({c for r in receipts for c in r.carrier_ids}))
    found: dict[tuple[str, str], Key] = {
        (r[0], r[1]): (r[2], r[3]) for r in con.execute(_FIND_PARTS, (connectors, carrier_ids))
    }
    matched, unmatched = match_receipts(receipts, found)
    if not matched:
        return ReceiptsApplied(unmatched=unmatched)
    current = _locked(con, {k[0] for _, k in matched})
    states = {
        (r[0], r[1]): PartState(r[2]) for r in con.execute(_PART_STATES, (_ids(list(current)),))
    }
    part_updates, reported = receipt_part_updates(matched, states)
    if part_updates:
        con.executemany(
            _SET_PART,
            [(state, sqlite_timestamp(at), mid, part) for mid, part, state, at in part_updates],
        )
    changes, updates = settle(current, states, reported)
    if updates:
        con.executemany(
            _SET_FINAL, [(status, sqlite_timestamp(at), mid) for mid, status, at in updates]
        )
    return ReceiptsApplied(changes=changes, unmatched=unmatched)
