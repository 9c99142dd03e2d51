"""Connector ownership leases on both databases, with an injected clock: a free connector is
taken at once, the holder renews it, a peer cannot take it while it runs and takes it once it
expired (a crashed node), a release frees it for a peer at once, and the holder's link report
is stored for any node to read."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from smsrelay.clock import utc
from smsrelay.services.ownership import LinkReport
from smsrelay.store import Database
from smsrelay.store.connector_leases import SqlConnectorLeases

T0 = utc(2026, 1, 1, 12, 0, 0)
TTL = timedelta(seconds=10)
A, B = "host-a:1:aaaaaa", "host-b:2:bbbbbb"


def owners(leases: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {lease.connector: lease.owner for lease in leases}


async def test_acquire_renew_steal_release(database: Database) -> None:
    """A takes both connectors; B gets nothing while A renews; A stops renewing (a crash):
    once the TTL ran out B takes them, keeping A's acquisition time out; B releases one and A
    takes it again at once."""
    store = SqlConnectorLeases(database)
    got = await store.acquire(["c1", "c2"], A, T0, TTL)
    assert {"c1": A, "c2": A} == owners(got)
    assert all(lease.acquired_at == T0 and lease.expires_at == T0 + TTL for lease in got)

    assert {"c1": A, "c2": A} == owners(await store.acquire(["c1", "c2"], B, T0, TTL))
    later = T0 + timedelta(seconds=4)
    renewed = await store.acquire(["c1", "c2"], A, later, TTL)
    assert all(x.expires_at == later + TTL and x.acquired_at == T0 for x in renewed)
    assert {"c1": A, "c2": A} == owners(
        await store.acquire(["c1", "c2"], B, later + TTL - timedelta(microseconds=1), TTL)
    )

    expired = later + TTL
    stolen = await store.acquire(["c1", "c2"], B, expired, TTL)
    assert {"c1": B, "c2": B} == owners(stolen)
    assert all(x.acquired_at == expired for x in stolen)
    assert all(x.held(expired) and not x.held(expired + TTL) for x in stolen)

    await store.release(["c1"], B, expired)
    await store.release(["c2"], A, expired)  # not A's any more: nothing happens
    assert {"c1": "", "c2": B} == owners(await store.leases())
    assert {"c1": A, "c2": B} == owners(await store.acquire(["c1", "c2"], A, expired, TTL))


async def test_link_reports_are_stored_for_the_holder_only(database: Database) -> None:
    """The owner's bound count and last error are kept; a non-owner's report is ignored."""
    store = SqlConnectorLeases(database)
    await store.acquire(["c1"], A, T0, TTL, {"c1": LinkReport(2, "")})
    await store.acquire(["c1"], B, T0, TTL, {"c1": LinkReport(0, "refused")})
    [lease] = await store.leases()
    assert (A, 2, "") == (lease.owner, lease.bound, lease.last_error)
    await store.acquire(["c1"], A, T0, TTL, {"c1": LinkReport(0, "x" * 2000)})
    [lease] = await store.leases()
    assert (0, 500) == (lease.bound, len(lease.last_error))


async def test_concurrent_takers_never_both_win(database: Database) -> None:
    """Eight nodes race for one free connector at the same moment: exactly one owns it."""
    store = SqlConnectorLeases(database)
    nodes = [f"host:{i}:n" for i in range(8)]
    results = await asyncio.gather(*(store.acquire(["c1"], n, T0, TTL) for n in nodes))
    winners = {owners(r)["c1"] for r in results}
    assert 1 == len(winners)
    assert winners <= set(nodes)
