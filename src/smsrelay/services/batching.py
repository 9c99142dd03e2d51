"""Group commit: many concurrent callers, one writer, one transaction per batch.

Each caller awaits its own result; the single drain task takes *everything* that is waiting,
hands it to ``flush`` in one call, and answers every caller only after ``flush`` returned (for
the store, after the commit). While a flush runs, new callers queue up for the next one, so the
batch size grows by itself with the load and latency stays one transaction at low load.
``linger`` (seconds) optionally waits a little before each flush so that work trickling in
one item at a time (receipts, submit outcomes) is still written in batches.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["GroupCommitter"]

T = TypeVar("T")
R = TypeVar("R")


class GroupCommitter(Generic[T, R]):
    def __init__(
        self,
        flush: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        max_batch: int = 2000,
        weight: Callable[[T], int] | None = None,
        linger: float = 0.0,
    ) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._linger = linger
        self._weight = weight or (lambda _item: 1)
        self._pending: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(self, item: T) -> R:
        if self._closed:
            raise RuntimeError("group committer is closed")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, fut))
        if self._task is None:
            self._wakeup = asyncio.Event()
            self._task = loop.create_task(self._drain(), name="group-commit")
        assert self._wakeup is not None
        self._wakeup.set()
        return await fut

    def put(self, item: T) -> None:
        """Fire and forget: the item is flushed with the next batch; errors are dropped to the
        ``on_error`` of the caller's flush function."""
        fut = asyncio.ensure_future(self.submit(item))
        fut.add_done_callback(_consume)

    def _take_batch(self) -> list[tuple[T, asyncio.Future[R]]]:
        taken: list[tuple[T, asyncio.Future[R]]] = []
        total = 0
        pending = self._pending
        while pending:
            w = self._weight(pending[0][0])
            if taken and total + w > self._max_batch:
                break
            taken.append(pending.popleft())
            total += w
        return taken

    async def _drain(self) -> None:
        assert self._wakeup is not None
        while True:
            if not self._pending:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if self._linger > 0 and not self._closed and len(self._pending) < self._max_batch:
                # Let a few more callers join: one transaction for many, at a bounded delay.
                await asyncio.sleep(self._linger)
            batch = self._take_batch()
            items = [item for item, _ in batch]
            try:
                results = await self._flush(items)
            except BaseException as exc:  # answer every waiter, then keep serving
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(
                            exc if isinstance(exc, Exception) else RuntimeError(str(exc))
                        )
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, fut), result in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(result)

    async def close(self) -> None:
        """Flush what is waiting, then stop."""
        self._closed = True
        if self._task is not None and self._wakeup is not None:
            self._wakeup.set()
            await self._task
            self._task = None


def _consume(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()
