"""Viber claims use the engine's short lease and heartbeat (issue 12, faster recovery), on
SQLite and PostgreSQL: a dead dispatcher's Viber messages are claimed again after one lease
(15 s) instead of five minutes, no more sent twice than it had in flight; a live dispatcher
renews the leases of the messages it holds, so nobody else claims them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from smsrelay.clock import FakeClock
from smsrelay.delivery.viber_connector import ViberMessage, ViberSendResult
from smsrelay.delivery.viber_dispatch import ViberDispatcher, ViberDispatchSettings
from smsrelay.domain.messages import Channel
from smsrelay.domain.status import MessageStatus as S
from smsrelay.services.cascade import SendVerdict, ViberStatusRecord
from smsrelay.services.ports import StatusChange
from smsrelay.store import Database, SqlDeliveryQueue
from smsrelay.store.viber import SqlViberStore

from .test_store import NOW, Kit

WAIT = 20.0  # a bound on awaiting an event on a busy machine, never a duration waited for


class _Provider:
    """Tells each send; answers it only once ``answer`` is set (``hold=False``: at once)."""

    name = "viber"

    def __init__(self, hold: bool) -> None:
        self.asked: asyncio.Queue[int] = asyncio.Queue()
        self.answer = asyncio.Event()
        if not hold:
            self.answer.set()

    async def start(self) -> None:
        return None

    async def send(self, message: ViberMessage) -> ViberSendResult:
        self.asked.put_nowait(int(message.id))
        await self.answer.wait()
        return ViberSendResult(SendVerdict.ACCEPTED, f"p-{message.id}")

    def parse_callback(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[ViberStatusRecord]:
        return []

    async def stop(self) -> None:
        self.answer.set()


class _Beating(SqlDeliveryQueue):
    """The real queue, telling each lease renewal (the heartbeat) as it is written."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.beats: list[datetime] = []
        self.beat = asyncio.Condition()

    async def renew_leases(self, message_ids: Sequence[int], until: datetime) -> int:
        renewed = await super().renew_leases(message_ids, until)
        async with self.beat:
            self.beats.append(until)
            self.beat.notify_all()
        return renewed


@pytest.fixture
def kit(database: Database) -> Kit:
    return Kit(database)


_DEFAULTS = ViberDispatchSettings()  # the dispatcher's defaults: the 15 s lease


def _dispatcher(
    queue: SqlDeliveryQueue,
    db: Database,
    provider: _Provider,
    clock: FakeClock,
    *,
    max_in_flight: int = _DEFAULTS.max_in_flight,
    lease: timedelta = _DEFAULTS.lease,
) -> ViberDispatcher:
    settings = ViberDispatchSettings(
        poll_interval=0.01, tick_interval=3600.0, max_in_flight=max_in_flight, lease=lease
    )
    return ViberDispatcher(queue, SqlViberStore(db), provider, clock, settings)


def _kill(dispatcher: ViberDispatcher) -> None:
    """As SIGKILL would: every task ends where it is, nothing more is written, no heartbeat."""
    for task in [*dispatcher._loops, *dispatcher._tasks]:
        task.cancel()


async def _attempts(db: Database, ids: list[int]) -> dict[int, tuple[str, int]]:
    async with db.read() as conn:
        rows = (await conn.execute(text("SELECT id, status, attempts FROM messages"))).all()
    return {int(r.id): (str(r.status), int(r.attempts)) for r in rows if int(r.id) in ids}


async def test_a_dead_dispatchers_viber_messages_move_on_after_one_short_lease(kit: Kit) -> None:
    """The first dispatcher (default settings: the 15 s lease) claims two messages, its
    in-flight window, and dies before the provider answers. Ten seconds later they are still
    its own; sixteen seconds later a second dispatcher claims and sends them with three new
    ones: all five submitted, only the two it held sent twice (``max_in_flight``)."""
    account = await kit.account()
    first = await kit.accept_viber(account, cascade=False, count=2)
    clock = FakeClock(NOW)
    provider = _Provider(hold=True)
    dead = _dispatcher(kit.queue, kit.db, provider, clock, max_in_flight=2)
    await dead.start()
    async with asyncio.timeout(WAIT):
        held = {await provider.asked.get() for _ in range(2)}
    assert set(first) == held
    _kill(dead)
    await asyncio.gather(*dead._loops, *dead._tasks, return_exceptions=True)

    clock.advance(10)
    assert not await kit.viber.has_work(clock.now())  # still the dead one's
    ids = first + await kit.accept_viber(account, cascade=False, count=3)
    clock.advance(6)  # 16 s after the claim: past the short lease (five minutes before)
    submitted: set[int] = set()
    done = asyncio.Event()

    def seen(changes: Sequence[StatusChange]) -> None:
        submitted.update(c.message_id for c in changes if c.status is S.SUBMITTED)
        if submitted >= set(ids):
            done.set()

    live = _dispatcher(kit.queue, kit.db, _Provider(hold=False), clock)
    live.add_listener(seen)
    await live.start()
    try:
        async with asyncio.timeout(WAIT):
            await done.wait()
    finally:
        await live.stop()
    rows = await _attempts(kit.db, ids)
    assert {S.SUBMITTED.value} == {status for status, _ in rows.values()}
    assert held == {i for i, (_, attempts) in rows.items() if attempts > 1}


async def test_a_live_dispatcher_renews_the_leases_it_holds(kit: Kit) -> None:
    """While the provider has not answered, the heartbeat moves the message's lease with the
    clock: a minute later (many leases) nobody else can claim it; once answered, it is
    ``submitted`` after one attempt."""
    account = await kit.account()
    [mid] = await kit.accept_viber(account, cascade=False, count=1)
    clock = FakeClock(NOW)
    queue = _Beating(kit.db)
    provider = _Provider(hold=True)
    lease = timedelta(seconds=0.03)  # a heartbeat every 10 ms of real time
    # its window is this one message: it does not claim its own message again between the
    # clock's jump and the next heartbeat
    holder = _dispatcher(queue, kit.db, provider, clock, lease=lease, max_in_flight=1)
    await holder.start()
    try:
        async with asyncio.timeout(WAIT):
            assert mid == await provider.asked.get()
        clock.advance(60)
        target = clock.now() + lease
        async with asyncio.timeout(WAIT), queue.beat:
            await queue.beat.wait_for(lambda: bool(queue.beats) and queue.beats[-1] >= target)
        assert [] == await kit.queue.claim(clock.now(), 10, lease, Channel.VIBER)
        provider.answer.set()
    finally:
        await holder.stop()
    assert {mid: (S.SUBMITTED.value, 1)} == await _attempts(kit.db, [mid])
