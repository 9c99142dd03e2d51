"""Group commit: one flush for everything waiting; each caller gets its own answer."""

import asyncio
from collections.abc import Sequence

import pytest

from smsrelay.services.batching import GroupCommitter


async def test_concurrent_callers_share_flushes() -> None:
    """100 concurrent submits are answered correctly in far fewer flushes."""
    flushes: list[list[int]] = []

    async def flush(items: Sequence[int]) -> list[int]:
        flushes.append(list(items))
        await asyncio.sleep(0)
        return [i * 2 for i in items]

    gc: GroupCommitter[int, int] = GroupCommitter(flush)
    results = await asyncio.gather(*(gc.submit(i) for i in range(100)))
    assert [i * 2 for i in range(100)] == results
    assert len(flushes) < 10
    assert sorted(i for f in flushes for i in f) == list(range(100))
    await gc.close()


async def test_max_batch_by_weight() -> None:
    """A batch never exceeds max_batch by weight (a single heavy item still goes alone)."""
    sizes: list[int] = []

    async def flush(items: Sequence[int]) -> list[None]:
        sizes.append(sum(items))
        return [None] * len(items)

    gc: GroupCommitter[int, None] = GroupCommitter(flush, max_batch=10, weight=lambda w: w)
    await asyncio.gather(*(gc.submit(w) for w in [4, 4, 4, 25, 1]))
    assert all(s <= 10 or s == 25 for s in sizes)
    await gc.close()


async def test_failure_reaches_every_waiter_and_service_goes_on() -> None:
    """A failed flush fails that batch's callers; the next batch is served."""
    calls = 0

    async def flush(items: Sequence[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        return list(items)

    gc: GroupCommitter[int, int] = GroupCommitter(flush)
    with pytest.raises(RuntimeError):
        await gc.submit(1)
    assert 2 == await gc.submit(2)
    await gc.close()


async def test_linger_gathers_a_trickle_into_one_flush() -> None:
    """Items put one at a time within the linger window are written together."""
    flushes: list[list[int]] = []

    async def flush(items: Sequence[int]) -> list[None]:
        flushes.append(list(items))
        return [None] * len(items)

    gc: GroupCommitter[int, None] = GroupCommitter(flush, linger=0.05)
    first = asyncio.ensure_future(gc.submit(1))
    await asyncio.sleep(0)  # the drain task starts lingering
    second = asyncio.ensure_future(gc.submit(2))
    await asyncio.gather(first, second)
    assert [[1, 2]] == flushes
    await gc.close()
