"""The Viber dispatcher: claims Viber messages, sends them through the provider, applies the
provider's status callbacks, and runs the cascade's deadlines.

Like the SMS engine, nothing lives only in memory: a message is ``submitting`` under a short
lease while the provider is asked, renewed by the same heartbeat as the engine's
(:class:`~.leases.LeaseKeeper`) until its outcome is written, so a dead process's Viber
messages are claimed again within about one lease; outcomes and callbacks are written in
batches. A callback that arrives before its send was recorded is retried a little later
(``orphan_ttl``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from ..clock import Clock
from ..domain.messages import Channel, OutboundMessage
from ..domain.status import MessageStatus
from ..services.batching import GroupCommitter
from ..services.cascade import (
    EXTRA_VIBER_UNTIL,
    CallbackVerdict,
    SendVerdict,
    ViberLegStore,
    ViberSendRecord,
    ViberStatusRecord,
)
from ..services.ports import DeliveryQueue, LeaseRenewal, StatusChange
from .leases import LeaseKeeper
from .viber_connector import CallbackRejected, ViberMessage, ViberProvider

__all__ = ["ViberDispatchSettings", "ViberDispatcher"]

log = structlog.get_logger("smsrelay.viber")

ChangeSink = Callable[[Sequence[StatusChange]], None]


@dataclass(frozen=True, slots=True)
class ViberDispatchSettings:
    claim_batch: int = 100
    max_in_flight: int = 200
    lease: timedelta = timedelta(seconds=15)  # renewed every lease/3 while held (leases.py)
    poll_interval: float = 0.25
    retry_delay: timedelta = timedelta(seconds=30)
    tick_interval: float = 1.0
    tick_batch: int = 1000
    orphan_ttl: float = 120.0
    orphan_retry_interval: float = 0.2


@dataclass(slots=True)
class _Orphan:
    record: ViberStatusRecord
    first_seen: float


class ViberDispatcher:
    """A worker (``start``/``stop``) and the :class:`ViberCallbacks` the HTTP API calls."""

    def __init__(
        self,
        queue: DeliveryQueue,
        store: ViberLegStore,
        provider: ViberProvider,
        clock: Clock,
        settings: ViberDispatchSettings | None = None,
        *,
        callback_url: str | None = None,
        on_sms_leg: Callable[[], None] | None = None,
    ) -> None:
        self._queue = queue
        self._store = store
        self._provider = provider
        self._clock = clock
        self._settings = settings or ViberDispatchSettings()
        self._callback_url = callback_url
        self._on_sms_leg = on_sms_leg
        self._listeners: list[ChangeSink] = []
        self._wake = asyncio.Event()
        self._capacity = asyncio.Event()
        self._orphans_ready = asyncio.Event()
        self._closing = asyncio.Event()  # set by stop: the loops end between writes
        self._orphans: list[_Orphan] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._dispatching: asyncio.Task[None] | None = None
        self._loops: list[asyncio.Task[None]] = []
        self._running = False
        self._records: GroupCommitter[ViberSendRecord, None] = GroupCommitter(self._flush)
        self._statuses: GroupCommitter[list[ViberStatusRecord], None] = GroupCommitter(
            self._flush_statuses, weight=len
        )
        self.stats = {"claimed": 0, "accepted": 0, "refused": 0, "retried": 0, "statuses": 0}
        self.leases = LeaseKeeper(
            queue if isinstance(queue, LeaseRenewal) else None, clock, self._settings.lease
        )

    # --- wiring --------------------------------------------------------------------------------

    def add_listener(self, listener: ChangeSink) -> None:
        """Be told of every status change this dispatcher writes (webhooks, tests)."""
        self._listeners.append(listener)

    def wake(self) -> None:
        self._wake.set()

    async def callback(
        self, connector: str, body: bytes, headers: Mapping[str, str]
    ) -> CallbackVerdict:
        """A provider's status callback (raw): verified, parsed, applied with the other
        callbacks waiting (one transaction); answered once written."""
        if connector != self._provider.name:
            return CallbackVerdict.UNKNOWN_CONNECTOR
        try:
            records = self._provider.parse_callback(body, headers, self._clock.now())
        except CallbackRejected as exc:
            log.warning("viber_callback_rejected", connector=connector, why=str(exc))
            bad = CallbackVerdict.BAD_SIGNATURE if exc.signature else CallbackVerdict.BAD_BODY
            return bad
        try:
            await self._statuses.submit(records)
        except Exception:
            log.exception("viber_statuses_failed")
            return CallbackVerdict.UNAVAILABLE
        return CallbackVerdict.ACCEPTED

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        await self._provider.start()
        self._running = True
        self._closing.clear()
        self._dispatching = asyncio.create_task(self._dispatch_loop(), name="viber-dispatch")
        self._loops = [
            self._dispatching,
            asyncio.create_task(self._orphan_loop(), name="viber-orphans"),
            asyncio.create_task(self._tick_loop(), name="viber-deadlines"),
            asyncio.create_task(self.leases.run(self._closing), name="viber-leases"),
        ]

    async def start_callbacks(self) -> None:
        """Only apply the provider's callbacks (an HTTP-only process): no claims, no sends,
        no deadlines; statuses that arrive before their send is written (by the process that
        sent it) are retried here like anywhere else."""
        self._closing.clear()
        self._loops = [asyncio.create_task(self._orphan_loop(), name="viber-orphans")]

    async def stop(self, drain_timeout: float = 30.0) -> None:
        """Stop claiming, finish in-flight sends, write every outcome and pending status."""
        self._running = False
        self._wake.set()
        self._capacity.set()
        if self._dispatching is not None:
            await asyncio.wait([self._dispatching], timeout=drain_timeout)
            self._dispatching = None
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=drain_timeout)
        await self._records.close()
        self._closing.set()  # the loops end between writes: a write is never cut short
        self._orphans_ready.set()
        loops, self._loops = self._loops, []
        if loops:
            _done, pending = await asyncio.wait(loops, timeout=drain_timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
        await self._statuses.close()
        if self._orphans:
            with contextlib.suppress(Exception):
                await self._flush_statuses([])
        await self._provider.stop()

    # --- sending -------------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        s = self._settings
        while self._running:
            room = s.max_in_flight - self._in_flight
            if room <= 0:
                self._capacity.clear()
                await _wait(self._capacity, s.poll_interval)
                continue
            self._wake.clear()
            try:
                now = self._clock.now()
                due = await self._store.has_work(now)
                batch: list[OutboundMessage] = []
                if due:
                    claimed = await self._queue.claim(
                        now, min(s.claim_batch, room), s.lease, Channel.VIBER
                    )
                    self._emit(claimed.refused)  # failed the compliance check
                    batch = claimed
            except Exception:
                log.exception("viber_claim_failed")
                batch = []
            if not batch:
                await _wait(self._wake, s.poll_interval)
                continue
            self.stats["claimed"] += len(batch)
            for message in batch:
                self._in_flight += 1
                task = asyncio.create_task(self._send(message))
                self._tasks.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._in_flight -= 1
        self._capacity.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("viber_send_failed", error=repr(task.exception()))

    async def _send(self, message: OutboundMessage) -> None:
        """Held (its lease renewed) and counted in flight until its outcome is written: a
        crash sends again at most ``max_in_flight`` messages."""
        self.leases.hold(message.id)
        try:
            record = await self._ask(message)
            try:
                await self._records.submit(record)
            except Exception:
                log.exception("viber_record_failed", message_id=message.id)
        finally:
            self.leases.drop(message.id)

    async def _ask(self, message: OutboundMessage) -> ViberSendRecord:
        now = self._clock.now()
        raw = message.extra.get(EXTRA_VIBER_UNTIL)
        until = datetime.fromisoformat(raw) if raw else message.valid_until
        name = self._provider.name
        if until <= now:  # claimed after its Viber deadline: never sent
            return ViberSendRecord(message.id, name, SendVerdict.LATE)
        result = await self._provider.send(ViberMessage.of(message, now, self._callback_url, until))
        self.stats[
            {SendVerdict.ACCEPTED: "accepted", SendVerdict.REFUSED: "refused"}.get(
                result.verdict, "retried"
            )
        ] += 1
        retry_at = None
        if result.verdict is SendVerdict.RETRY:
            retry_at = self._clock.now() + self._settings.retry_delay
        return ViberSendRecord(
            message.id, name, result.verdict, result.provider_id, retry_at, result.detail
        )

    async def _flush(self, records: Sequence[ViberSendRecord]) -> list[None]:
        self._emit(await self._store.record_sends(records, self._clock.now()))
        if self._orphans:
            self._orphans_ready.set()
        return [None] * len(records)

    # --- statuses ------------------------------------------------------------------------------

    async def _orphan_loop(self) -> None:
        """Retry statuses that arrived before their send was recorded.

        The wait is always bounded: a status can become an orphan after the send it waits for
        was written (the two transactions overlap), and then nobody would set the event. An
        idle pass costs a wake-up and no query."""
        s = self._settings
        while not self._closing.is_set():
            await _wait(self._orphans_ready, s.orphan_retry_interval)
            self._orphans_ready.clear()
            if self._closing.is_set() or not self._orphans:
                continue
            try:
                await self._statuses.submit([])
            except Exception:
                log.exception("viber_orphans_failed")
                await asyncio.sleep(s.poll_interval)

    async def _flush_statuses(self, batches: Sequence[list[ViberStatusRecord]]) -> list[None]:
        """Apply the callbacks waiting (and the orphans) in one transaction."""
        fresh = [r for batch in batches for r in batch]
        retry = [o.record for o in self._orphans]
        if fresh or retry:
            mono = self._clock.monotonic()
            first_seen = {id(o.record): o.first_seen for o in self._orphans}
            applied = await self._store.apply_statuses(retry + fresh)
            self.stats["statuses"] += len(fresh)
            self._emit(applied.changes)
            orphans: list[_Orphan] = []
            for r in applied.unmatched:
                seen = first_seen.get(id(r), mono)
                if mono - seen < self._settings.orphan_ttl:
                    orphans.append(_Orphan(r, seen))
                else:
                    log.warning(
                        "viber_status_unmatched", connector=r.connector, state=r.state.value
                    )
            self._orphans = orphans
        return [None] * len(batches)

    # --- deadlines -----------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        while not self._closing.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("viber_tick_failed")
            await _wait(self._closing, self._settings.tick_interval)

    async def tick(self) -> None:
        """Viber legs past their deadline: expire them (a cascade falls back to SMS)."""
        self._emit(await self._store.expire_legs(self._clock.now(), self._settings.tick_batch))

    def _emit(self, changes: Sequence[StatusChange]) -> None:
        if not changes:
            return
        if self._on_sms_leg is not None and any(c.status is MessageStatus.QUEUED for c in changes):
            self._on_sms_leg()
        for listener in self._listeners:
            listener(changes)


async def _wait(event: asyncio.Event, timeout: float | None) -> None:  # noqa: ASYNC109
    if timeout is None:
        await event.wait()
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
