"""SqlXmlDataStore on SQLite and PostgreSQL: bases, subscribers, stop list, scheduled messages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.services.bases import BaseOp, ChangeResult, SettingsPatch, SubscriberChange
from smsrelay.services.stoplist import StopAction, StopOp
from smsrelay.store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore
from smsrelay.store.xml_data import SqlXmlDataStore
from store.conftest import NOW, Kit, message

R = ChangeResult
LATER = NOW + timedelta(hours=1)


@pytest.fixture
def kit(database: Database) -> Kit:
    return Kit(
        database, SqlAccountStore(database), SqlMessageStore(database), SqlDeliveryQueue(database)
    )


@pytest.fixture
def store(database: Database) -> SqlXmlDataStore:
    return SqlXmlDataStore(database)


async def test_bases_lifecycle_and_ownership(kit: Kit, store: SqlXmlDataStore) -> None:
    """Create, edit (partial), delete, not_found; another account sees none of it."""
    alice = await kit.account("alice")
    bob = await kit.account("bob")
    [(first, r1), (second, r2)] = await store.change_bases(
        alice.id,
        [BaseOp(None, SettingsPatch(name_base="A", day_before=2)), BaseOp(None)],
        NOW,
    )
    assert (R.INSERT, R.INSERT) == (r1, r2)
    assert first is not None and second is not None
    changed = await store.change_bases(
        alice.id,
        [BaseOp(first, SettingsPatch(on_birth=True)), BaseOp(second, delete=True)],
        LATER,
    )
    assert [(first, R.EDIT), (second, R.DELETE)] == changed
    [only] = await store.list_bases(alice.id)
    assert (first, "A", 2, True) == (
        only.id,
        only.settings.name_base,
        only.settings.day_before,
        only.settings.on_birth,
    )
    assert LATER == await store.base_changed_at(alice.id, first)
    assert [] == await store.list_bases(bob.id)
    foreign = await store.change_bases(bob.id, [BaseOp(first, delete=True)], LATER)
    assert [(first, R.NOT_FOUND)] == foreign
    assert await store.base_changed_at(bob.id, first) is None
    assert await store.base_changed_at(alice.id, 2**70) is None


async def test_subscribers_merge_page_and_unknown_base(kit: Kit, store: SqlXmlDataStore) -> None:
    """Changes apply in order (insert, edit keeping fields, delete); detected region/operator
    fill inserts only; an unknown base writes nothing at all; pages and ``since`` filter."""
    alice = await kit.account("alice")
    bob = await kit.account("bob")
    [(base, _)] = await store.change_bases(alice.id, [BaseOp(None)], NOW)
    [(foreign, _)] = await store.change_bases(bob.id, [BaseOp(None)], NOW)
    assert base is not None and foreign is not None
    detected = {"region": "R", "operator": "O"}
    changes = [
        SubscriberChange("79000000001", given={"name": "Ann"}, detected=detected),
        SubscriberChange("79000000002", given={"region": "Mine"}, detected=detected),
        SubscriberChange("79000000001", given={"surname": "Lee"}, detected={"region": "X"}),
        SubscriberChange("79000000003", delete=True),
    ]
    results = await store.change_phones(alice.id, [(base, changes)], NOW)
    assert [[R.INSERT, R.INSERT, R.EDIT, R.NOT_FOUND]] == results
    refused = await store.change_phones(
        alice.id,
        [(base, [SubscriberChange("79000000009")]), (foreign, [SubscriberChange("79000000008")])],
        LATER,
    )
    assert refused is None
    page = await store.phone_page(alice.id, base, None, 0, 10)
    assert page is not None
    total, rows = page
    assert 2 == total
    ann, mine = rows
    assert ("Ann", "Lee", "R", "O") == tuple(
        ann.fields[k] for k in ("name", "surname", "region", "operator")
    )
    assert ("Mine", "O", "") == (
        mine.fields["region"],
        mine.fields["operator"],
        mine.fields["male"],
    )
    await store.change_phones(
        alice.id,
        [
            (
                base,
                [
                    SubscriberChange("79000000002", given={"male": "f"}),
                    SubscriberChange("79000000001", delete=True),
                ],
            )
        ],
        LATER,
    )
    since = await store.phone_page(alice.id, base, LATER, 0, 10)
    assert since is not None
    assert (1, ["79000000002"]) == (since[0], [s.phone for s in since[1]])
    assert LATER == since[1][0].updated_at
    assert LATER == await store.base_changed_at(alice.id, base)
    assert await store.phone_page(bob.id, base, None, 0, 10) is None
    assert (1, []) == await store.phone_page(alice.id, base, None, 10, 10)


async def test_stop_list_changes_and_change_time(kit: Kit, store: SqlXmlDataStore) -> None:
    """Adding is idempotent (add), removing answers delete/not_found; the change time is the
    account's creation, then the last addition, then the last removal."""
    alice = await kit.account("alice")
    bob = await kit.account("bob")
    assert NOW == await store.stop_list_changed_at(alice.id)
    ops = [StopOp(StopAction.ADD, "79000000001"), StopOp(StopAction.ADD, "79000000001")]
    assert [R.ADD, R.ADD] == await store.change_stop_list(alice.id, ops, LATER)
    assert LATER == await store.stop_list_changed_at(alice.id)
    later = LATER + timedelta(minutes=5)
    gone = [StopOp(StopAction.DELETE, "79000000001"), StopOp(StopAction.DELETE, "79000000001")]
    assert [R.NOT_FOUND] == await store.change_stop_list(bob.id, gone[:1], later)
    assert [R.DELETE, R.NOT_FOUND] == await store.change_stop_list(alice.id, gone, later)
    assert later == await store.stop_list_changed_at(alice.id)
    assert NOW == await store.stop_list_changed_at(bob.id)
    assert [] == await store.stop_phones(alice.id)
    with pytest.raises(LookupError):
        await store.stop_list_changed_at(999_999)


async def test_cancel_refunds_only_own_scheduled_messages(kit: Kit, store: SqlXmlDataStore) -> None:
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
