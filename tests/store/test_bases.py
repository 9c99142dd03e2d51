"""SqlBaseStore on SQLite and PostgreSQL: bases, their subscribers and change times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smsrelay.services.bases import BaseOp, ChangeResult, SettingsPatch, SubscriberChange
from smsrelay.store import Database
from smsrelay.store.bases import SqlBaseStore
from store.conftest import NOW, Kit

R = ChangeResult
LATER = NOW + timedelta(hours=1)


@pytest.fixture
def store(database: Database) -> SqlBaseStore:
    return SqlBaseStore(database)


async def test_bases_lifecycle_and_ownership(kit: Kit, store: SqlBaseStore) -> None:
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


async def test_subscribers_merge_page_and_unknown_base(kit: Kit, store: SqlBaseStore) -> None:
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


async def test_one_subscriber_is_found_only_in_its_owners_base(
    kit: Kit, store: SqlBaseStore
) -> None:
    """The cabinet's subscriber page reads one number: in its own base only."""
    alice = await kit.account("alice")
    bob = await kit.account("bob")
    [(base, _)] = await store.change_bases(alice.id, [BaseOp(None)], NOW)
    assert base is not None
    given = {"name": "Ann", "date_birth": "1990-02-03"}
    await store.change_phones(
        alice.id, [(base, [SubscriberChange("79000000001", given=given)])], NOW
    )
    found = await store.subscriber(alice.id, base, "79000000001")
    assert found is not None
    assert ("79000000001", "Ann", "1990-02-03", "") == (
        found.phone,
        found.fields["name"],
        found.fields["date_birth"],
        found.fields["surname"],
    )
    assert NOW == found.updated_at
    assert await store.subscriber(alice.id, base, "79000000002") is None
    assert await store.subscriber(bob.id, base, "79000000001") is None
    assert await store.subscriber(alice.id, 2**70, "79000000001") is None
