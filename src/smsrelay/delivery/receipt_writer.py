"""Delivery receipts on their way into the database: buffered as they arrive, written in
batches (one transaction per batch, not per PDU), acknowledged to the carrier only once stored.

A receipt can arrive before the submit outcome it answers has been recorded (the carrier is
fast, our record batch is still lingering): it matches nothing yet, so it is kept as an
*orphan* and tried again with the next batch, and whenever new submit records were written.
Its deliver_sm_resp is held for ``orphan_ack_after`` seconds (a crash meanwhile makes the
carrier send it again), then sent; after ``orphan_receipt_ttl`` an orphan is dropped with a
warning.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from ..clock import Clock
from ..services.ports import DeliveryQueue, ReceiptRecord, StatusChange
from .engine_settings import EngineSettings

__all__ = ["ReceiptWriter", "wait_event"]

log = structlog.get_logger("smsrelay.engine")

Ack = Callable[[], None]


@dataclass(slots=True)
class _Orphan:
    receipt: ReceiptRecord
    first_seen: float
    ack: Ack | None = None  # held until it matches, or orphan_ack_after


class ReceiptWriter:
    def __init__(
        self,
        queue: DeliveryQueue,
        clock: Clock,
        settings: EngineSettings,
        emit: Callable[[Sequence[StatusChange]], None],
        stats: dict[str, int],
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._settings = settings
        self._emit = emit
        self._stats = stats  # the engine's: "receipts" counts those written
        self._ready = asyncio.Event()
        self._receipts: list[ReceiptRecord] = []
        self._acks: list[Ack | None] = []  # one per buffered receipt
        self._orphans: list[_Orphan] = []

    def add(self, receipt: ReceiptRecord, ack: Ack | None) -> None:
        """A receipt from a connector; ``ack`` sends its deliver_sm_resp (once stored)."""
        self._receipts.append(receipt)
        self._acks.append(ack)
        self._ready.set()

    def recorded(self) -> None:
        """Submit outcomes were just stored: orphans may match now."""
        if self._orphans:
            self._ready.set()

    def nudge(self) -> None:
        """Wake the loop (to notice that it should end)."""
        self._ready.set()

    async def run(self, closing: asyncio.Event, running: Callable[[], bool]) -> None:
        """Write batches until ``closing`` is set; the owner then calls :meth:`apply` once
        more for what is left (a write is never cut short by a cancellation)."""
        s = self._settings
        while not closing.is_set():
            timeout = s.orphan_retry_interval if self._orphans else None
            await wait_event(self._ready, timeout)
            if closing.is_set():
                return
            if len(self._receipts) < s.receipt_batch and running():
                await asyncio.sleep(s.write_linger)  # let receipts gather: one transaction
            self._ready.clear()
            try:
                await self.apply()
            except Exception:
                log.exception("receipts_failed")
                await asyncio.sleep(s.poll_interval)

    async def apply(self) -> None:
        """Write what is buffered and the orphans, in one transaction."""
        fresh, self._receipts = self._receipts, []
        acks, self._acks = self._acks, []
        retry = [o.receipt for o in self._orphans]
        if not fresh and not retry:
            return
        now = self._clock.monotonic()
        first_seen = {id(o.receipt): o.first_seen for o in self._orphans}
        ack_of = {id(r): a for r, a in zip(fresh, acks, strict=True)}
        ack_of.update((id(o.receipt), o.ack) for o in self._orphans)
        try:
            applied = await self._queue.apply_receipts(retry + fresh)
        except BaseException:
            self._receipts = fresh + self._receipts
            self._acks = acks + self._acks
            raise
        # deliver_sm_resp only now that the receipt is stored: a crash before this point
        # makes the carrier send it again. An unmatched one is held a little (its submit may
        # be about to be recorded), then acknowledged and kept in memory until the TTL.
        unmatched = {id(r) for r in applied.unmatched}
        for r in retry + fresh:
            ack = ack_of.get(id(r))
            if ack is not None and id(r) not in unmatched:
                ack()
        self._stats["receipts"] += len(fresh)
        self._emit(applied.changes)
        s = self._settings
        orphans: list[_Orphan] = []
        for r in applied.unmatched:
            seen = first_seen.get(id(r), now)
            ack = ack_of.get(id(r))
            if ack is not None and now - seen >= s.orphan_ack_after:
                ack()
                ack = None
            if now - seen < s.orphan_receipt_ttl:
                orphans.append(_Orphan(r, seen, ack))
            else:
                log.warning("receipt_unmatched", connector=r.connector, state=r.state.value)
        self._orphans = orphans


async def wait_event(event: asyncio.Event, timeout: float | None) -> None:
    """Until ``event`` is set, or ``timeout`` seconds passed (None: no limit)."""
    if timeout is None:
        await event.wait()
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
