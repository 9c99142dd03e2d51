"""A worker asking carriers about parts whose receipt is overdue (query_sm), feeding final
answers into the engine's receipt path (see ``services/receipt_queries.py`` for the rules)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta

import structlog

from ..clock import Clock
from ..services.ports import Metrics
from ..services.receipt_queries import OverduePart, QueryOutcome, ReceiptQueryStore
from .ports import Receipt
from .routing import Router

__all__ = ["ReceiptQuerier"]

log = structlog.get_logger("smsrelay.receipt_query")


class ReceiptQuerier:
    def __init__(
        self,
        store: ReceiptQueryStore,
        router: Router,
        sink: Callable[[Receipt], None],
        metrics: Metrics,
        clock: Clock,
        *,
        after: timedelta,
        default_allowed: frozenset[str] = frozenset(),
        batch: int = 100,
        max_attempts: int = 3,
    ) -> None:
        self._store = store
        self._router = router
        self._sink = sink
        self._metrics = metrics
        self._clock = clock
        self._after = after
        self._default_allowed = default_allowed
        self._batch = batch
        self._max_attempts = max_attempts
        self.interval = max(0.05, min(30.0, after.total_seconds() / 4))
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="receipt-query")

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
                await self.run_once()
            except Exception:
                log.exception("receipt_query_failed")

    async def run_once(self) -> list[QueryOutcome]:
        """One round: ask about the oldest overdue parts; returns what was learned."""
        allowed = self._default_allowed | await self._store.allowed_connectors()
        # only connectors bound here (several nodes: the owner of the others asks for them)
        allowed = frozenset(name for name in allowed if self._router.ready(name))
        if not allowed:
            return []
        now = self._clock.now()
        parts = await self._store.overdue(
            now, self._after, sorted(allowed), self._batch, self._max_attempts
        )
        outcomes = [o for o in await asyncio.gather(*(self._ask(p) for p in parts)) if o]
        await self._store.record(outcomes, self._clock.now())
        return outcomes

    async def _ask(self, part: OverduePart) -> QueryOutcome | None:
        bind = self._router.bind(part.connector)
        query = getattr(bind, "query", None)
        if query is None:
            return None  # no bound link now (or not SMPP): ask in a later round
        try:
            state = await query(part.carrier_id, part.sender)
        except LookupError as exc:
            self._metrics.event("receipt_query", (part.connector, "failed"))
            return QueryOutcome(part, f"failed: {exc}")
        if state is None:
            self._metrics.event("receipt_query", (part.connector, "pending"))
            return QueryOutcome(part, "pending")
        self._metrics.event("receipt_query", (part.connector, "final"))
        self._sink(Receipt(part.connector, (part.carrier_id,), state, self._clock.now()))
        return QueryOutcome(part, state.value)
