"""SqlStopListStore on SQLite and PostgreSQL: changes and the stop list's change time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smsrelay.services.bases import ChangeResult
from smsrelay.services.stoplist import StopAction, StopOp
from smsrelay.store import Database
from smsrelay.store.stoplist import SqlStopListStore
from store.conftest import NOW, Kit

R = ChangeResult
LATER = NOW + timedelta(hours=1)


@pytest.fixture
def store(database: Database) -> SqlStopListStore:
    return SqlStopListStore(database)


async def test_stop_list_changes_and_change_time(kit: Kit, store: SqlStopListStore) -> None:
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
