"""Flow control in message parts: token buckets per connector, per account, per sender.

A bucket hands out *reservations* in call order (the debt may go negative), so concurrent
callers wait in FIFO order: a later message of the same account or sender never overtakes
an earlier one, and nothing is dropped. Time comes from the injected clock; the wait itself
from an injected ``sleep`` (``asyncio.sleep`` in production; tests advance a ``FakeClock``).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from ..clock import Clock
from ..services.routing import RateLimit

__all__ = ["ConcatRefs", "FlowControl", "TokenBucket"]

Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """``rate`` parts per second, ``burst`` parts at once after idling (at least 1)."""

    __slots__ = ("_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, now: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1.0, rate if burst is None else burst)
        self._tokens = self.burst
        self._last = now

    def reserve(self, parts: int, now: float) -> float:
        """Take ``parts`` tokens; returns how many seconds to wait before sending them."""
        elapsed = max(0.0, now - self._last)
        self._last = max(self._last, now)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate) - parts
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def release(self, parts: int) -> None:
        """Give back tokens of a reservation that will not be used."""
        self._tokens = min(self.burst, self._tokens + parts)


@dataclass(frozen=True, slots=True)
class _Key:
    kind: str  # "connector" | "account" | "sender"
    account_id: int = 0
    name: str = ""


class FlowControl:
    """Every configured limit, replaced atomically on reload (a bucket whose rate did not
    change keeps its state, so a reload never lets a burst through)."""

    def __init__(self, clock: Clock, sleep: Sleep = asyncio.sleep) -> None:
        self._clock = clock
        self.sleep = sleep  # replaceable (tests record waits instead of sleeping)
        self._buckets: dict[_Key, TokenBucket] = {}
        self.waited = 0.0  # total seconds of waits handed out (for stats and tests)

    def configure(
        self, connectors: Iterable[tuple[str, float | None]], limits: Iterable[RateLimit]
    ) -> None:
        rates: dict[_Key, float] = {}
        for name, rate in connectors:
            if rate is not None:
                rates[_Key("connector", 0, name)] = rate
        for limit in limits:
            kind = "sender" if limit.sender else "account"
            rates[_Key(kind, limit.account_id, limit.sender)] = limit.parts_per_s
        now = self._clock.monotonic()
        fresh: dict[_Key, TokenBucket] = {}
        for key, rate in rates.items():
            old = self._buckets.get(key)
            fresh[key] = old if old is not None and old.rate == rate else TokenBucket(rate, now)
        self._buckets = fresh

    @property
    def empty(self) -> bool:
        return not self._buckets

    def reserve_sender(self, account_id: int, sender: str, parts: int) -> float:
        """Seconds to wait for the account's and the sender's limits (both reserved now)."""
        if not self._buckets:
            return 0.0
        now = self._clock.monotonic()
        wait = 0.0
        for key in (_Key("account", account_id, ""), _Key("sender", account_id, sender)):
            bucket = self._buckets.get(key)
            if bucket is not None:
                wait = max(wait, bucket.reserve(parts, now))
        return wait

    def release_sender(self, account_id: int, sender: str, parts: int) -> None:
        """Give back a reservation not used (the message went back to the queue)."""
        for key in (_Key("account", account_id, ""), _Key("sender", account_id, sender)):
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.release(parts)

    def reserve_connector(self, name: str, parts: int) -> float:
        bucket = self._buckets.get(_Key("connector", 0, name)) if self._buckets else None
        return 0.0 if bucket is None else bucket.reserve(parts, self._clock.monotonic())

    async def wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            await self.sleep(seconds)


class ConcatRefs:
    """Concatenation reference numbers rotating per destination (a bounded LRU map): two
    long messages to one phone in a row never share a reference (3GPP TS 23.040 §9.2.3.24.1).
    A destination evicted from the map starts again from a value derived from a global
    counter, so a reused reference is at least far apart in time."""

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._last: OrderedDict[str, int] = OrderedDict()
        self._seed = 0

    def next(self, destination: str) -> int:
        last = self._last.pop(destination, None)
        if last is None:
            self._seed = (self._seed + 97) & 0xFFFF
            last = self._seed
        ref = (last + 1) & 0xFFFF
        self._last[destination] = ref
        if len(self._last) > self._capacity:
            self._last.popitem(last=False)
        return ref

    def __len__(self) -> int:
        return len(self._last)
