"""The asyncio SMPP 3.4 client (ESME): implements :class:`~smsrelay.delivery.ports.Connector`.

One connector keeps one bind to a carrier, reconnecting with exponential backoff
(``reconnect_min`` doubling to ``reconnect_max``, reset after a successful bind). The link's
life is a table (:data:`LINK_TRANSITIONS`)::

    idle -> connecting -> binding -> bound -> unbinding -> stopped
                 ^            |         |
                 +- backoff <-+---------+        (any state) -> stopped

``submit`` waits for window space and a bound link (at most ``link_wait`` seconds), sends the
submit_sm, and maps the response: ESME_ROK -> ACCEPTED with the carrier id; ESME_RTHROTTLED /
ESME_RMSGQFUL -> the whole link pauses (``throttle_backoff``, doubling) and the part is retried
here, at most ``max_throttle_retries`` times, then RETRY; temporary statuses -> RETRY; anything
else -> REJECTED. A part in flight when the link drops is resent after the reconnect (at most
``max_resubmits`` times); it is RETRY if the connector is stopping; no response within
``response_timeout`` is RETRY.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import structlog

from ..clock import Clock
from ..domain.status import PartState
from ..logs import StateLog
from ..smpp import CommandId, MessageState, Pdu, Role, Session, SmppError, status_name
from .ports import InboundSink, OutboundPart, ReceiptSink, SubmitOutcome, SubmitStatus
from .receipts import PART_STATES, is_receipt, receipt_from_pdu
from .smpp_config import (
    BIND_COMMAND,
    LINK_TRANSITIONS,
    BindMode,
    IllegalLinkTransition,
    LinkState,
    SmppConnectorConfig,
)
from .smpp_inbound import MoAssembler
from .smpp_link import LinkClosed, ResponseTimeout, SmppLink
from .smpp_submit import Pacer, classify, source_ton_npi, submit_params

__all__ = [  # the config and link-state names are re-exported from smpp_config
    "LINK_TRANSITIONS",
    "BindMode",
    "IllegalLinkTransition",
    "LinkState",
    "SmppConnector",
    "SmppConnectorConfig",
]

log = structlog.get_logger("smsrelay.smpp")


class _BindRefused(Exception):
    pass


def _outcome(status: SubmitStatus, detail: str, carrier_id: str | None = None) -> SubmitOutcome:
    return SubmitOutcome(status=status, carrier_id=carrier_id, detail=detail)


class SmppConnector:
    def __init__(
        self,
        config: SmppConnectorConfig,
        on_receipt: ReceiptSink,
        on_inbound: InboundSink,
        clock: Clock,
    ) -> None:
        self.name = config.name
        self.config = config
        self._on_receipt = on_receipt
        self._on_inbound = on_inbound
        self._clock = clock
        self._state = LinkState.IDLE
        self.bound_since: datetime | None = None  # for status (smsrelay status, /ready)
        self.last_error = ""  # the last reason the link failed ("" = none yet)
        self._link: SmppLink | None = None
        self._link_up = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._window = asyncio.Semaphore(config.window)
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        self._throttle_streak = 0
        self._pacer = Pacer(config.throughput, now=clock.monotonic()) if config.throughput else None
        self._assembler = MoAssembler(config.name)
        self._tick = max(
            0.01, min(1.0, config.response_timeout / 4, config.enquire_link_interval / 4)
        )
        self._failures = StateLog()  # link errors, logged once per change
        self._stats = dict.fromkeys(
            (
                "submitted",
                "accepted",
                "rejected",
                "retried",
                "throttled",
                "timeouts",
                "reconnects",
                "resubmitted",
                "receipts",
                "inbound",
            ),
            0,
        )

    # --- state -------------------------------------------------------------------------

    @property
    def state(self) -> LinkState:
        return self._state

    @property
    def ready(self) -> bool:
        """Bound, able to transmit, and not stopping."""
        link = self._link
        return (
            self._state is LinkState.BOUND
            and not self._stopping
            and link is not None
            and not link.closed
            and self.config.bind is not BindMode.RECEIVER
        )

    def stats(self) -> dict[str, int]:
        link = self._link
        return {**self._stats, "in_flight": link.in_flight if link is not None else 0}

    def _move(self, target: LinkState) -> None:
        if target not in LINK_TRANSITIONS[self._state]:
            raise IllegalLinkTransition(self._state, target)
        self._state = target

    async def wait_ready(self) -> None:
        """Return once the link is bound (callers bound the wait with ``asyncio.timeout``)."""
        while not self.ready:
            if self._stopping:
                raise RuntimeError(f"connector {self.name} is stopping")
            await self._link_up.wait()
            if not self.ready:
                await asyncio.sleep(0)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None and not self._stopping:
            self._task = asyncio.create_task(self._run(), name=f"smpp-{self.name}")

    async def _run(self) -> None:
        cfg = self.config
        delay = cfg.reconnect_min
        while not self._stopping:
            self._move(LinkState.CONNECTING)
            bound = False
            try:
                bound = await self._connect_and_serve()
            except (
                OSError,
                TimeoutError,
                LinkClosed,
                ResponseTimeout,
                SmppError,
                _BindRefused,
            ) as exc:
                error = self.last_error = str(exc) or repr(exc)
                if self._failures.change(self.name, error):  # once per change, not per retry
                    log.warning("smpp_link_failed", connector=self.name, error=error)
                else:
                    log.debug("smpp_link_still_failing", connector=self.name, error=error)
            if self._stopping:
                break
            self._move(LinkState.BACKOFF)
            self._stats["reconnects"] += 1
            if bound:
                delay = cfg.reconnect_min
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), delay)
            delay = min(delay * 2, cfg.reconnect_max)
        if self._state is not LinkState.STOPPED:
            self._move(LinkState.STOPPED)

    async def _connect_and_serve(self) -> bool:
        cfg = self.config
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(cfg.host, cfg.port), cfg.response_timeout
        )
        session = Session(
            Role.ESME,
            window=cfg.window,
            max_pdu=cfg.max_pdu,
            response_timeout=cfg.response_timeout,
            enquire_link_interval=cfg.enquire_link_interval,
            now=self._clock.monotonic(),
        )
        link = SmppLink(reader, writer, session, self._clock, self, self._tick)
        runner = asyncio.create_task(link.run())
        try:
            self._move(LinkState.BINDING)
            response = await link.request(
                lambda seq: Pdu.bind(
                    BIND_COMMAND[cfg.bind],
                    sequence=seq,
                    system_id=cfg.system_id,
                    password=cfg.password,
                    system_type=cfg.system_type,
                )
            )
            if not response.ok:
                raise _BindRefused(f"bind refused: {status_name(response.status)}")
            self._link = link
            self._move(LinkState.BOUND)
            self.bound_since = self._clock.now()
            self._link_up.set()
            self._failures.change(self.name, "ok")
            log.info("smpp_bound", connector=self.name, host=cfg.host, port=cfg.port)
            await asyncio.shield(runner)
            log.info("smpp_link_down", connector=self.name)
            return True
        finally:
            self.on_link_closed()
            link.abort()
            with contextlib.suppress(Exception):
                await runner
            await link.wait_closed()

    def on_link_closed(self) -> None:
        self.bound_since = None
        self._link = None
        self._link_up.clear()

    async def stop(self) -> None:
        """Stop taking parts, wait (bounded) for responses in flight, unbind, close."""
        if self._stopping:
            if self._task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            return
        self._stopping = True
        self._stop_requested.set()
        self._link_up.set()  # wake submitters waiting for a link: they answer RETRY
        cfg = self.config
        link = self._link
        if link is not None and not link.closed and self._state is LinkState.BOUND:
            self._move(LinkState.UNBINDING)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(link.idle.wait(), cfg.response_timeout)
            await link.unbind(cfg.response_timeout)
            link.abort()
        task = self._task
        if task is not None:
            if self._state in (LinkState.CONNECTING, LinkState.BINDING):
                task.cancel()  # nothing to say goodbye to
            else:
                try:
                    await asyncio.wait_for(asyncio.shield(task), cfg.response_timeout)
                except TimeoutError:
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._state is not LinkState.STOPPED:
            self._move(LinkState.STOPPED)

    # --- submitting --------------------------------------------------------------------

    async def submit(self, part: OutboundPart) -> SubmitOutcome:
        if self._stopping or self._task is None:
            return _outcome(SubmitStatus.RETRY, "connector not running")
        cfg = self.config
        try:
            params, tlvs = submit_params(
                part,
                concat=cfg.concat,
                source_ton=cfg.source_ton,
                source_npi=cfg.source_npi,
                dest_ton=cfg.dest_ton,
                dest_npi=cfg.dest_npi,
                service_type=cfg.service_type,
            )
            checked = Pdu.submit_sm(sequence=1, tlvs=tlvs, **params)  # every field, once
        except SmppError as exc:
            return _outcome(SubmitStatus.REJECTED, f"cannot encode part: {exc}")
        make = checked.with_sequence  # numbered when it goes out (again after a reconnect)

        throttles = resubmits = 0
        while True:
            async with self._window:
                link = await self._wait_link()
                if link is None:
                    return _outcome(SubmitStatus.RETRY, "no bound link")
                await self._pace()
                if self._stopping:
                    return _outcome(SubmitStatus.RETRY, "connector stopping")
                try:
                    future = link.request(make)
                except LinkClosed:
                    continue
                except SmppError as exc:
                    return _outcome(SubmitStatus.RETRY, str(exc))
                self._stats["submitted"] += 1
                try:
                    response = await future
                except LinkClosed:
                    if self._stopping or resubmits >= cfg.max_resubmits:
                        return _outcome(SubmitStatus.RETRY, "link lost before the response")
                    resubmits += 1
                    self._stats["resubmitted"] += 1
                    continue
                except ResponseTimeout:
                    self._stats["timeouts"] += 1
                    return _outcome(SubmitStatus.RETRY, f"no response in {cfg.response_timeout}s")
            verdict = classify(response.status)
            if response.command is CommandId.GENERIC_NACK and verdict is SubmitStatus.ACCEPTED:
                verdict = SubmitStatus.RETRY  # a nack that claims success: do not trust it
            if verdict is SubmitStatus.ACCEPTED:
                self._stats["accepted"] += 1
                self._throttle_streak = 0
                carrier_id = response.params.get("message_id", "")
                return _outcome(SubmitStatus.ACCEPTED, "", str(carrier_id))
            detail = status_name(response.status)
            if verdict is None:
                self._stats["throttled"] += 1
                self._back_off()
                throttles += 1
                if throttles > cfg.max_throttle_retries:
                    return _outcome(SubmitStatus.RETRY, detail)
                continue
            self._stats["retried" if verdict is SubmitStatus.RETRY else "rejected"] += 1
            return _outcome(verdict, detail)

    async def query(self, carrier_id: str, source: str) -> PartState | None:
        """query_sm (SMPP 3.4 §4.8) for a part the carrier accepted: its final state, or
        None while the carrier still has it (ENROUTE, ACCEPTED). Raises ``LookupError``
        when no link is bound, the carrier refuses (e.g. ESME_RQUERYFAIL) or is silent."""
        cfg = self.config
        ton, npi = source_ton_npi(source, cfg.source_ton, cfg.source_npi)
        async with self._window:
            link = await self._wait_link()
            if link is None or self._stopping:
                raise LookupError("no bound link")
            try:
                response = await link.request(
                    lambda seq: Pdu.make(
                        CommandId.QUERY_SM,
                        seq,
                        message_id=carrier_id,
                        source_addr_ton=ton,
                        source_addr_npi=npi,
                        source_addr=source,
                    )
                )
            except (LinkClosed, ResponseTimeout, SmppError) as exc:
                raise LookupError(str(exc) or exc.__class__.__name__) from exc
        if not response.ok or response.command is not CommandId.QUERY_SM_RESP:
            raise LookupError(status_name(response.status))
        try:
            state = MessageState(response.int_param("message_state"))
        except ValueError as exc:
            raise LookupError(f"unknown message_state {exc}") from exc
        return PART_STATES[state]

    async def _wait_link(self) -> SmppLink | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.link_wait
        while not self._stopping:
            link = self._link
            if self.ready and link is not None:
                return link
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._link_up.wait(), remaining)
            except TimeoutError:
                return None
            if not self.ready:
                await asyncio.sleep(0)  # the event is stale for one iteration at most
        return None

    async def _pace(self) -> None:
        now = self._clock.monotonic()
        wait = max(0.0, self._paused_until - now)
        if self._pacer is not None:
            wait += self._pacer.reserve(now + wait)
        if wait > 0:
            await asyncio.sleep(wait)

    def _back_off(self) -> None:
        """Pause the whole link: the carrier said it is overloaded (§5.1.3 ESME_RTHROTTLED)."""
        cfg = self.config
        self._throttle_streak += 1
        pause = min(cfg.throttle_backoff * 2 ** (self._throttle_streak - 1), cfg.reconnect_max)
        self._paused_until = max(self._paused_until, self._clock.monotonic() + pause)

    # --- inbound (LinkHandler) ---------------------------------------------------------

    def on_message(self, pdu: Pdu, ack: Callable[[], None]) -> bool:
        """Receipts are acknowledged by their sink once stored (``Receipt.ack``); MO parts
        and unreadable receipts at once."""
        at = self._clock.now()
        if is_receipt(pdu):
            receipt = receipt_from_pdu(pdu, self.name, at)
            if receipt is not None:
                self._stats["receipts"] += 1
                self._on_receipt(replace(receipt, ack=ack))
                return True
            return False
        sms = self._assembler.add(pdu, at, self._clock.monotonic())
        if sms is not None:
            self._stats["inbound"] += 1
            self._on_inbound(sms)
        return False
