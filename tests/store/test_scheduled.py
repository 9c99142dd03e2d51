"""SqlScheduledStore on SQLite and PostgreSQL: the scheduled page and cancel with refund."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.store import Database
from smsrelay.store.scheduled import SqlScheduledStore
from store.conftest import NOW, Kit, message

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def store(database: Database) -> SqlScheduledStore:
    return SqlScheduledStore(database)


async def test_cancel_refunds_only_own_scheduled_messages(
    kit: Kit, store: SqlScheduledStore
) -> None:
    """Cancelling moves scheduled -> cancelled, refunds price x parts with one ledger row per
    message, in one transaction; queued, foreign and unknown ids are untouched."""
    alice = await kit.account("alice", balance="10")
    bob = await kit.account("bob", balance="10")
    tomorrow = NOW + timedelta(days=1)
    scheduled = await kit.accepted_id(alice.id, message(alice.id, parts=2, time_send=tomorrow))
    queued = await kit.accepted_id(alice.id, message(alice.id, "79000000002"))
    theirs = await kit.accepted_id(bob.id, message(bob.id, time_send=tomorrow))
    total, rows = await store.scheduled_page(alice.id, 0, 10)
    assert (1, [scheduled]) == (total, [m.id for m in rows])
    assert (tomorrow, 2, "Shop") == (rows[0].due_at, rows[0].parts, rows[0].sender)
    done = await store.cancel_scheduled(alice.id, [scheduled, queued, theirs, 2**70], LATER)
    assert {scheduled} == done
    assert Money.parse("9") == await kit.messages.balance(alice.id)
    assert Money.parse("9") == await kit.messages.balance(bob.id)
    refunds = await kit.rows(
        "SELECT amount_micros, message_id FROM ledger WHERE kind = 'refund' ORDER BY id"
    )
    assert [(2_000_000, scheduled)] == [tuple(r) for r in refunds]
    views = await kit.messages.views(alice.id, [scheduled, queued])
    assert MessageStatus.CANCELLED == views[scheduled].status
    assert LATER == views[scheduled].status_at
    assert MessageStatus.QUEUED == views[queued].status
    assert set() == await store.cancel_scheduled(alice.id, [scheduled], LATER)
    assert (0, []) == await store.scheduled_page(alice.id, 0, 10)
