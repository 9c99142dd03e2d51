"""What a submit-outcome or receipt batch changes, decided from the rows it read: pure code
shared by the SQLAlchemy transactions (``store.queue``) and SQLite's writer-thread ones
(``store.queue_sqlite``).

A row here is anything with the attributes ``account_id``, ``status``, ``parts``,
``price_micros`` and ``due_at`` (a SQLAlchemy row or a :class:`LockedRow`); timestamps read
from the database are passed back unchanged, so each path keeps its own representation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from ..domain.status import MessageStatus, PartState, aggregate_parts, can_transition
from ..services.ports import ReceiptRecord, StatusChange, SubmitRecord

__all__ = [
    "LockedRow",
    "SubmitPlan",
    "match_receipts",
    "plan_submits",
    "receipt_part_updates",
    "settle",
]

S = MessageStatus

Key = tuple[int, int]  # (message id, part no)


class LockedRow(NamedTuple):
    """A message's row as the queue's transactions read it."""

    id: int
    account_id: int
    status: str
    parts: int
    price_micros: int
    due_at: Any


@dataclass(slots=True)
class SubmitPlan:
    # (message, part no) -> (connector, carrier id); the last outcome of a part wins
    parts: dict[Key, tuple[str, str]] = field(default_factory=dict)
    # (message, status, final?, due_at, connector)
    updates: list[tuple[int, str, bool, Any, str]] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)
    refunds: list[tuple[int, int, int]] = field(default_factory=list)  # (account, message, µ)
    parts_back: dict[int, int] = field(default_factory=dict)  # message -> parts refunded


def plan_submits(
    records: Sequence[SubmitRecord],
    current: Mapping[int, Any],
    now: datetime,
    retry_stamp: Any = None,
) -> SubmitPlan:
    """Parts the carrier accepted are stored even when the message moved on meanwhile (so
    their receipts still match); a status moves only forward; rejected parts are refunded.
    ``retry_stamp`` converts a retry time to the database's form (identity by default)."""
    plan = SubmitPlan()
    status = {mid: S(row.status) for mid, row in current.items()}
    for rec in records:
        row = current.get(rec.message_id)
        if row is None:
            continue
        for p in rec.accepted:
            plan.parts[(rec.message_id, p.part_no)] = (rec.connector, p.carrier_id)
        target = submit_target(rec)
        was = status[rec.message_id]
        if target is was or not can_transition(was, target):
            continue
        status[rec.message_id] = target
        if target is S.QUEUED:
            due_at = rec.retry_at if retry_stamp is None else retry_stamp(rec.retry_at)
        else:
            due_at = row.due_at
        plan.updates.append((rec.message_id, target.value, target.is_final, due_at, rec.connector))
        plan.changes.append(StatusChange(rec.message_id, int(row.account_id), target, now))
        if target is S.REJECTED:
            back = min(rec.rejected_parts, int(row.parts))
            plan.refunds.append((int(row.account_id), rec.message_id, back * int(row.price_micros)))
            plan.parts_back[rec.message_id] = back
    return plan


def submit_target(rec: SubmitRecord) -> MessageStatus:
    if rec.rejected_parts > 0:
        return S.REJECTED
    if rec.retry_at is not None and not rec.accepted:
        return S.QUEUED
    return S.SUBMITTED


def match_receipts(
    receipts: Sequence[ReceiptRecord], found: Mapping[tuple[str, str], Key]
) -> tuple[list[tuple[ReceiptRecord, Key]], list[ReceiptRecord]]:
    """Each receipt's part, by (connector, any spelling of the carrier id); and the rest."""
    matched: list[tuple[ReceiptRecord, Key]] = []
    unmatched: list[ReceiptRecord] = []
    for receipt in receipts:
        key = next(
            (
                found[(receipt.connector, c)]
                for c in receipt.carrier_ids
                if (receipt.connector, c) in found
            ),
            None,
        )
        if key is None:
            unmatched.append(receipt)
        else:
            matched.append((receipt, key))
    return matched, unmatched


def receipt_part_updates(
    matched: Sequence[tuple[ReceiptRecord, Key]], states: dict[Key, PartState]
) -> tuple[list[tuple[int, int, str, datetime]], dict[int, datetime]]:
    """The part states the receipts change (``states`` is updated): (message, part, state,
    at) each, and per message the latest receipt time. A final part state never changes;
    duplicates are harmless."""
    updates: list[tuple[int, int, str, datetime]] = []
    reported: dict[int, datetime] = {}
    for receipt, key in matched:
        if states[key].is_final or not receipt.state.is_final:
            continue
        states[key] = receipt.state
        updates.append((key[0], key[1], receipt.state.value, receipt.at))
        reported[key[0]] = max(receipt.at, reported.get(key[0], receipt.at))
    return updates, reported


def settle(
    current: Mapping[int, Any],
    states: Mapping[Key, PartState],
    reported: Mapping[int, datetime],
) -> tuple[list[StatusChange], list[tuple[int, str, datetime]]]:
    """Final statuses of the messages whose parts just reported, by ``aggregate_parts``:
    the changes, and (message, status, at) to store."""
    by_message: dict[int, list[PartState]] = {}
    for (mid, _), state in states.items():
        if mid in reported:
            by_message.setdefault(mid, []).append(state)
    changes: list[StatusChange] = []
    updates: list[tuple[int, str, datetime]] = []
    for mid in sorted(reported):
        row = current[mid]
        was = S(row.status)
        target = aggregate_parts(by_message.get(mid, []), int(row.parts))
        if target is None or target is was or not can_transition(was, target):
            continue
        at = reported[mid]
        updates.append((mid, target.value, at))
        changes.append(StatusChange(mid, int(row.account_id), target, at))
    return changes, updates
