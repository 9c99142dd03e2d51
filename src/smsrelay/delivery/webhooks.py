"""The webhook pusher: POSTs the durable outbox's statuses to clients (spec J3/X3).

A background worker (``start``/``stop``; ``run_once`` for tests and tools). Each pass claims
due outbox rows by state under a lease (``store/webhooks.py``), grouped into POSTs per account,
and pushes them concurrently: at most ``concurrency`` POSTs overall and
``account_concurrency`` per account, each bounded by ``timeout``, so a slow or hanging client
only ever holds its own account's slots; accounts already at their limit are left out of the
next claim. Before every POST the URL is checked again by the SSRF guard (DNS can change) and
the connection goes to the address that was checked, never to a second resolution.

Ack rules: a status counts as delivered only when the client echoes its id (2xx answer); the
others are retried with exponential backoff until ``max_attempts`` POSTs were made, then
``failed``. Time (backoff, leases) comes from the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import structlog

from ..clock import Clock
from ..logs import StateLog
from ..services.webhooks import (
    PushBatch,
    PushOutcome,
    ResolvedUrl,
    UrlGuard,
    WebhookOutbox,
    WebhookRefused,
)
from .webhook_payload import MAX_ACK_BYTES, parse_acks, render_push, signature

__all__ = ["PusherSettings", "WebhookPusher"]

log = structlog.get_logger("smsrelay.webhooks")

USER_AGENT = "smsrelay-webhook/1"


@dataclass(frozen=True, slots=True)
class PusherSettings:
    max_attempts: int = 5  # spec J3/X3: 5 attempts in total
    backoff: timedelta = timedelta(seconds=30)  # after the first failed attempt; doubled after each
    timeout: float = 10.0  # seconds per POST, whole exchange
    batch_size: int = 100  # statuses per POST
    concurrency: int = 32
    account_concurrency: int = 2
    poll_interval: float = 1.0
    claim_limit: int = 1000
    keep: timedelta = timedelta(days=7)  # delivered pushes and attempts kept for `webhook show`
    prune_interval: float = 3600.0
    run_loop: bool = True  # False: start() runs no loop (another process pushes; tests)
    # After a wake-up, wait this long before looking at the outbox: under load the engine
    # wakes the pusher after every batch of status changes; one look per tenth of a second
    # is plenty and keeps the database free for the delivery path.
    wake_linger: float = 0.1

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.batch_size < 1 or self.timeout <= 0:
            raise ValueError("max_attempts, batch_size and timeout must be positive")
        if self.concurrency < 1 or self.account_concurrency < 1:
            raise ValueError("concurrency limits must be positive")

    @property
    def lease(self) -> timedelta:
        """Long enough for a POST to end (or time out) and its outcome to be written."""
        return timedelta(seconds=self.timeout * 3 + 30)


class WebhookPusher:
    def __init__(
        self,
        outbox: WebhookOutbox,
        guard: UrlGuard,
        clock: Clock,
        settings: PusherSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        render: Callable[[PushBatch], tuple[bytes, str]] = render_push,
    ) -> None:
        """``render``: a batch's POST body and Content-Type (status pushes by default; the
        incoming-SMS pusher passes its own)."""
        self._render = render
        self._outbox = outbox
        self._guard = guard
        self._clock = clock
        self._s = settings or PusherSettings()
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(self._s.timeout),
            follow_redirects=False,  # a redirect could lead anywhere: not followed (SSRF)
            trust_env=False,  # no proxies from the environment: we connect where we checked
            # no keep-alive: a pinned address may serve several host names (TLS SNI, certs)
            limits=httpx.Limits(max_connections=self._s.concurrency, max_keepalive_connections=0),
        )
        self._overall = asyncio.Semaphore(self._s.concurrency)
        self._per_account: dict[int, asyncio.Semaphore] = {}
        self._busy: dict[int, int] = {}  # account -> POSTs in flight or waiting
        self._health = StateLog()  # accounts whose webhook fails, logged per change
        self._claimed: dict[str, PushBatch] = {}  # delivery id -> batch not yet recorded
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._running = False
        self._last_prune = float("-inf")
        self.stats = {"posts": 0, "acked": 0, "failed_posts": 0}

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._s.run_loop:
            self._running = True
            self._loop = asyncio.create_task(self._run(), name="webhook-pusher")

    async def stop(self, drain_timeout: float | None = None) -> None:
        """Stop claiming; let POSTs in flight end (up to ``drain_timeout``), release the rest.
        Idempotent."""
        if self._client.is_closed:
            return
        self._running = False
        self._wake.set()
        if self._loop is not None:  # it ends after its current pass: never cut a write short
            _done, pending = await asyncio.wait([self._loop], timeout=self._s.timeout)
            for task in pending:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=drain_timeout or self._s.timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._claimed:
            with contextlib.suppress(Exception):
                await self._outbox.release(list(self._claimed.values()), self._clock.now())
            self._claimed.clear()
        await self._client.aclose()

    def wake(self) -> None:
        """Statuses may be waiting (called after status changes were committed)."""
        self._wake.set()

    # --- passes ----------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim what is due now, push it all, wait for every outcome; returns the POSTs made."""
        batches = await self._outbox.claim(
            self._clock.now(), self._s.claim_limit, self._s.lease, self._s.batch_size
        )
        await asyncio.gather(*(self._guarded(b) for b in self._track(batches)))
        return len(batches)

    async def _run(self) -> None:
        while self._running:
            self._wake.clear()
            launched = 0
            try:
                launched = await self._launch()
                await self._maybe_prune()
            except Exception:
                log.exception("webhook_pass_failed")
            if launched == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._s.poll_interval)
                    await asyncio.sleep(self._s.wake_linger)  # woken: let changes gather

    async def _launch(self) -> int:
        room = self._s.concurrency - len(self._tasks)
        if room <= 0:
            return 0
        busy = [a for a, n in self._busy.items() if n >= self._s.account_concurrency]
        batches = await self._outbox.claim(
            self._clock.now(),
            min(self._s.claim_limit, room * self._s.batch_size),
            self._s.lease,
            self._s.batch_size,
            busy,
        )
        for batch in self._track(batches):
            task = asyncio.create_task(self._guarded(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(batches)

    def _track(self, batches: list[PushBatch]) -> list[PushBatch]:
        for b in batches:
            self._claimed[b.delivery_id] = b
            self._busy[b.account_id] = self._busy.get(b.account_id, 0) + 1
        return batches

    async def _maybe_prune(self) -> None:
        now = self._clock.monotonic()
        if now - self._last_prune >= self._s.prune_interval:
            self._last_prune = now
            await self._outbox.prune(self._clock.now() - self._s.keep)

    # --- one POST --------------------------------------------------------------------------

    async def _guarded(self, batch: PushBatch) -> None:
        account = self._per_account.setdefault(
            batch.account_id, asyncio.Semaphore(self._s.account_concurrency)
        )
        try:
            async with account, self._overall:
                outcome = await self._push(batch)
            await self._outbox.record(
                [outcome], self._clock.now(), self._s.max_attempts, self._s.backoff
            )
            self._claimed.pop(batch.delivery_id, None)
            self.stats["posts"] += 1
            self.stats["acked"] += len(outcome.acked)
            if outcome.error or outcome.http_status is None:
                self.stats["failed_posts"] += 1
            self._log_health(batch, outcome)
        except Exception:
            # the lease runs out and the rows are claimed again: nothing is lost
            log.exception("webhook_record_failed", account=batch.account_id)
        finally:
            left = self._busy.get(batch.account_id, 1) - 1
            if left > 0:
                self._busy[batch.account_id] = left
            else:
                self._busy.pop(batch.account_id, None)
                self._per_account.pop(batch.account_id, None)
            self._wake.set()

    def _log_health(self, batch: PushBatch, outcome: PushOutcome) -> None:
        """A failing webhook is logged when it starts failing (or fails differently) and when
        it works again, not once per POST (the URL never: its query may hold a token)."""
        status = outcome.http_status
        failing = outcome.error or (
            None if status is not None and 200 <= status < 300 else f"HTTP {status}"
        )
        if not self._health.change(batch.account_id, failing or "ok"):
            if failing:
                log.debug("webhook_still_failing", account=batch.account_id, error=failing)
            return
        if failing:
            log.warning("webhook_failing", account=batch.account_id, error=failing)
        else:
            log.info("webhook_recovered", account=batch.account_id)

    async def push_test(self, batch: PushBatch) -> PushOutcome:
        """One POST of a made-up batch (the cabinet's "send a test"): guarded and signed as
        any push, never claimed from nor recorded in the outbox."""
        async with self._overall:
            return await self._push(batch)

    async def _push(self, batch: PushBatch) -> PushOutcome:
        try:
            target = await self._guard.check(batch.config.url)
        except WebhookRefused as exc:
            return PushOutcome(batch, error=f"refused: {exc}")
        body, content_type = self._render(batch)
        headers = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            "X-Smsrelay-Delivery": batch.delivery_id,
        }
        if batch.config.secret:
            headers["X-Smsrelay-Signature"] = signature(batch.config.secret, body)
        try:
            async with asyncio.timeout(self._s.timeout):
                response, answer = await self._post(target, body, headers)
        except (TimeoutError, httpx.TimeoutException):
            return PushOutcome(batch, error="timeout")
        except httpx.HTTPError as exc:
            return PushOutcome(batch, error=f"{type(exc).__name__}: {exc}"[:200])
        sent = {i.message_id for i in batch.items}
        acked: set[int] = set()
        if 200 <= response.status_code < 300:
            acked = parse_acks(answer, batch.config.format) & sent
        # the host only: a URL's path and query may carry the client's secret
        log.info(
            "webhook_pushed",
            account=batch.account_id,
            host=target.host,
            status=response.status_code,
            acked=len(acked),
            sent=len(sent),
        )
        return PushOutcome(batch, frozenset(acked), http_status=response.status_code)

    async def _post(
        self, target: ResolvedUrl, body: bytes, headers: dict[str, str]
    ) -> tuple[httpx.Response, bytes]:
        """POST to the checked addresses in turn until one accepts the connection."""
        last = len(target.addresses) - 1
        for n, address in enumerate(target.addresses):
            url, extensions = _pinned(target.url, address, headers)
            try:
                async with self._client.stream(
                    "POST", url, content=body, headers=headers, extensions=extensions
                ) as response:
                    return response, await _read_capped(response)
            except httpx.ConnectError:
                if n == last:
                    raise
        raise httpx.ConnectError("no address to connect to")


def _pinned(
    target_url: str, address: str, headers: dict[str, str]
) -> tuple[httpx.URL, dict[str, str]]:
    """The URL aimed at a checked address; ``Host`` (and TLS SNI) keep the name."""
    url = httpx.URL(target_url)
    address = address.split("%", 1)[0]
    if address == url.host:
        return url, {}
    headers["Host"] = url.netloc.decode("ascii")
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return url.copy_with(host=address), extensions


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_ACK_BYTES:
            break
    return b"".join(chunks)[:MAX_ACK_BYTES]
