"""Lease renewal (the engine's heartbeat): a live worker keeps its claims, a dead one's run out."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from smsrelay.clock import utc
from smsrelay.delivery.leases import LeaseKeeper

from .conftest import LEASE, NOW, Kit, message


async def test_renewing_moves_the_lease_of_submitting_messages_only(kit: Kit) -> None:
    """Renewed claims get the new ``lease_until``; a message no longer ``submitting`` is left
    alone; once renewed, a claim that would have run out is not claimable by another."""
    account = await kit.account()
    first = await kit.accepted_id(account.id, message(account.id))
    second = await kit.accepted_id(account.id, message(account.id))
    claimed = await kit.claim()
    assert {first, second} == {m.id for m in claimed}
    await kit.submitted(next(m for m in claimed if m.id == second), "c-1")
    later = NOW + LEASE + timedelta(seconds=30)
    assert 1 == await kit.queue.renew_leases([first, second], later)
    assert [] == await kit.claim(now=NOW + LEASE + timedelta(seconds=1))  # still held
    [again] = await kit.claim(now=later + timedelta(seconds=1))  # the holder stopped renewing
    assert first == again.id


class _Store:
    def __init__(self) -> None:
        self.calls: list[tuple[list[int], datetime]] = []
        self.beat = asyncio.Event()

    async def renew_leases(self, message_ids: Sequence[int], until: datetime) -> int:
        self.calls.append((sorted(message_ids), until))
        self.beat.set()
        return len(message_ids)


class _Clock:
    def now(self) -> datetime:
        return utc(2026, 1, 1, 12, 0, 0)

    def monotonic(self) -> float:
        return 0.0


async def test_the_keeper_renews_what_is_held_until_closing() -> None:
    """Held ids (counted: held twice, dropped once = still held) are renewed every lease/3
    with now + lease; nothing held, nothing written; the loop ends when closing is set."""
    store = _Store()
    keeper = LeaseKeeper(store, _Clock(), timedelta(seconds=0.03))  # type: ignore[arg-type]
    assert 0 == await keeper.renew()
    for mid in (7, 7, 9):
        keeper.hold(mid)
    keeper.drop(7)
    closing = asyncio.Event()
    loop = asyncio.create_task(keeper.run(closing))
    await asyncio.wait_for(store.beat.wait(), 5)
    closing.set()
    await asyncio.wait_for(loop, 5)
    assert ([7, 9], _Clock().now() + timedelta(seconds=0.03)) == store.calls[0]
    keeper.drop(7)
    keeper.drop(9)
    assert [] == keeper.held()
