"""Connector ownership between two nodes on one database (both databases), injected clock:
the first node takes every connector at once; the second holds nothing and sees them bound
elsewhere; when the first stops beating, the second gains them after the TTL and the first
(beating again) learns it lost them; a node that cannot reach the database gives its
connectors up one beat before its lease can run out; a release frees them at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from smsrelay.clock import FakeClock, utc
from smsrelay.delivery.ownership import ConnectorOwnership
from smsrelay.services.ownership import ConnectorLease, LinkReport
from smsrelay.store import Database
from smsrelay.store.connector_leases import SqlConnectorLeases

TTL = timedelta(seconds=10)
NAMES = ("a", "b")
UP = {"a": LinkReport(1), "b": LinkReport(2)}


async def test_takeover_after_the_ttl(database: Database) -> None:
    clock = FakeClock(utc(2026, 1, 1, 12))
    store = SqlConnectorLeases(database)
    one = ConnectorOwnership(store, clock, "node-1", TTL)
    two = ConnectorOwnership(store, clock, "node-2", TTL)
    assert ({"a", "b"}, set()) == await one.sync(NAMES)
    assert one.owns_all()
    await two.sync(NAMES)
    assert two.elsewhere("a") and not two.bound_elsewhere("a")  # held, its binds not up yet
    await one.sync(NAMES, UP)  # the binds came up: reported at the next beat
    assert (set(), set()) == await two.sync(NAMES)
    assert not two.owns_all()
    assert two.bound_elsewhere("a") and two.bound_elsewhere("b") and not one.elsewhere("a")

    clock.advance(TTL.total_seconds() - 0.001)  # node-1 stopped beating (SIGKILL)
    assert (set(), set()) == await two.sync(NAMES)
    clock.advance(0.001)
    assert ({"a", "b"}, set()) == await two.sync(NAMES)
    assert not two.elsewhere("a")  # its own now
    assert (set(), {"a", "b"}) == await one.sync(NAMES, UP)  # a paused node-1 wakes up
    assert frozenset() == one.owned

    await two.release(["a"])
    assert ({"a"}, set()) == await one.sync(NAMES)


class _Unreachable:
    """The lease store while the database is down."""

    def __init__(self, store: SqlConnectorLeases) -> None:
        self.store = store
        self.down = False

    async def acquire(
        self,
        names: Sequence[str],
        owner: str,
        now: datetime,
        ttl: timedelta,
        reports: Mapping[str, LinkReport] | None = None,
    ) -> list[ConnectorLease]:
        if self.down:
            raise ConnectionError("database unreachable")
        return await self.store.acquire(names, owner, now, ttl, reports)

    async def release(self, names: Sequence[str], owner: str, now: datetime) -> None:
        await self.store.release(names, owner, now)

    async def leases(self) -> list[ConnectorLease]:
        return await self.store.leases()


async def test_unrenewed_connectors_stop_one_beat_before_the_lease_ends(
    database: Database,
) -> None:
    clock = FakeClock(utc(2026, 1, 1, 12))
    store = _Unreachable(SqlConnectorLeases(database))
    node = ConnectorOwnership(store, clock, "node-1", TTL)
    await node.sync(NAMES)
    store.down = True
    clock.advance(TTL.total_seconds() - node.interval - 0.001)
    assert (set(), set()) == await node.sync(NAMES)
    clock.advance(0.001)
    assert (set(), {"a", "b"}) == await node.sync(NAMES)
    assert frozenset() == node.owned
