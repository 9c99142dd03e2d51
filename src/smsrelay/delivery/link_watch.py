"""The carrier binds as operators see them: a snapshot per bind (state, bound since, window
in use, counters, last error), submit and receipt rates over the last minute, and the
``Metrics`` gauges of the binds, refreshed about once a second.

Implements ``services.operations.LinkSource`` for ``/ready`` and ``smsrelay status``. Reads
only what the connectors already keep (no work on the hot path).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import structlog

from ..clock import Clock
from ..services.ports import BindStatus, Metrics
from .routing import Router

__all__ = ["LinkWatch"]

log = structlog.get_logger("smsrelay.links")

_RATE_WINDOW = 60.0  # seconds of samples behind the rates


class LinkWatch:
    def __init__(
        self, router: Router, metrics: Metrics, clock: Clock, *, interval: float = 1.0
    ) -> None:
        self._router = router
        self._metrics = metrics
        self._clock = clock
        self.interval = interval
        self._samples: deque[tuple[float, dict[str, tuple[int, int]]]] = deque(maxlen=1000)
        self._task: asyncio.Task[None] | None = None

    # --- LinkSource ----------------------------------------------------------------------

    def binds(self) -> list[BindStatus]:
        out: list[BindStatus] = []
        for name, binds in sorted(self._router.binds_by_name().items()):
            for i, c in enumerate(binds):
                state = getattr(c, "state", None)
                stats_of = getattr(c, "stats", None)
                stats: dict[str, int] = stats_of() if callable(stats_of) else {}
                config = getattr(c, "config", None)
                out.append(
                    BindStatus(
                        connector=name,
                        bind=i,
                        state=str(state) if state is not None else ("bound" if c.ready else ""),
                        bound_since=getattr(c, "bound_since", None),
                        window_in_use=int(stats.get("in_flight", 0)),
                        window=int(getattr(config, "window", 0)),
                        submitted=int(stats.get("submitted", 0)),
                        receipts=int(stats.get("receipts", 0)),
                        last_error=str(getattr(c, "last_error", "")),
                    )
                )
        return out

    def routed(self) -> set[str]:
        return self._router.routed()

    def problem(self) -> str | None:
        return None  # this process's own connectors: always known

    def rates(self) -> dict[str, tuple[float, float]]:
        self.sample()
        if len(self._samples) < 2:
            return {}
        (t0, first), (t1, last) = self._samples[0], self._samples[-1]
        span = t1 - t0
        if span <= 0:
            return {}
        out: dict[str, tuple[float, float]] = {}
        for name, (sub, rec) in last.items():
            sub0, rec0 = first.get(name, (0, 0))
            out[name] = (max(0, sub - sub0) / span, max(0, rec - rec0) / span)
        return out

    # --- sampling ------------------------------------------------------------------------

    def sample(self) -> list[BindStatus]:
        """Take a snapshot: feed the gauges and the rate window; returns the binds."""
        binds = self.binds()
        self._metrics.links(binds)
        totals: dict[str, tuple[int, int]] = {}
        for b in binds:
            sub, rec = totals.get(b.connector, (0, 0))
            totals[b.connector] = (sub + b.submitted, rec + b.receipts)
        now = self._clock.monotonic()
        self._samples.append((now, totals))
        while len(self._samples) > 2 and now - self._samples[0][0] > _RATE_WINDOW:
            self._samples.popleft()
        return binds

    async def start(self) -> None:
        self.sample()
        self._task = asyncio.create_task(self._run(), name="link-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.sample()
            except Exception:
                log.exception("link_sample_failed")
