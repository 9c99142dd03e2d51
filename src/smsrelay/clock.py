"""Time as an injectable port: production code never calls ``datetime.now`` directly.

All instants are timezone-aware UTC ``datetime`` values.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FakeClock", "OffsetClock", "SystemClock", "utc"]


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time (UTC, aware)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for timers and rate limits."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or utc(2026, 1, 1, 12, 0, 0)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


class OffsetClock:
    """Real time plus an offset that tests can move forward (to jump past a validity period
    while sockets and the event loop keep running in real time)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds
