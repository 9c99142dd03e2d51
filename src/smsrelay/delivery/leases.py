"""The engine's heartbeat: the leases of the messages this process is delivering are renewed
while it lives, so a lease can be short (15 s by default) and the messages of a process that
died (SIGKILL, power loss) are claimed by another within about one lease.

A message is held from the moment its delivery starts until its outcome is recorded; every
``lease / 3`` the held ids get ``lease_until = now + lease``. The bound on resubmissions after a
crash is unchanged: at most the messages in flight at that moment (``max_in_flight``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import timedelta

import structlog

from ..clock import Clock
from ..services.ports import LeaseRenewal

__all__ = ["LeaseKeeper"]

log = structlog.get_logger("smsrelay.engine")


class LeaseKeeper:
    """Which messages this process holds, and the loop that renews their leases."""

    def __init__(self, store: LeaseRenewal | None, clock: Clock, lease: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._lease = lease
        self._held: Counter[int] = Counter()
        self.renewals = 0  # heartbeats that renewed at least one lease

    @property
    def interval(self) -> float:
        return max(self._lease.total_seconds() / 3, 0.01)

    def hold(self, message_id: int) -> None:
        self._held[message_id] += 1

    def drop(self, message_id: int) -> None:
        left = self._held[message_id] - 1
        if left > 0:
            self._held[message_id] = left
        else:
            del self._held[message_id]

    def held(self) -> list[int]:
        return list(self._held)

    async def renew(self) -> int:
        """One heartbeat: renew the held messages' leases now."""
        ids = self.held()
        if self._store is None or not ids:
            return 0
        renewed = await self._store.renew_leases(ids, self._clock.now() + self._lease)
        if renewed:
            self.renewals += 1
        return renewed

    async def run(self, closing: asyncio.Event) -> None:
        """Heartbeat every ``lease / 3`` until ``closing`` is set (after the last write)."""
        while not closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), self.interval)
            if closing.is_set():
                return
            try:
                await self.renew()
            except Exception:  # the next beat tries again; the lease leaves room for two misses
                log.exception("lease_renewal_failed", held=len(self._held))
