"""The delivery engine: claims due messages from the database queue (or takes them from the
accepting transaction), submits their parts through connectors, and records outcomes and
receipts in batches (receipts: ``receipt_writer``).

Nothing is held only in memory: a message is ``submitting`` under a lease while its parts are
in flight; if the process dies, the lease runs out and the message is claimed again (at most
the in-flight window is resubmitted). Outcomes and receipts are written in batches (one
transaction per batch, not per PDU).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import structlog

from .. import text as textcodec
from ..clock import Clock
from ..domain.messages import Channel, OutboundMessage
from ..domain.money import Money
from ..domain.status import PartState
from ..logs import StateLog, trail_submitted
from ..services.batching import GroupCommitter
from ..services.payload import payload
from ..services.ports import (
    DeliveryQueue,
    LeaseRenewal,
    Metrics,
    NullMetrics,
    PartAccepted,
    ReceiptRecord,
    StatusChange,
    SubmitRecord,
)
from ..services.routing import Reprice, RouteCharges, RouteSpec, TextEncoding
from .engine_settings import EngineSettings
from .leases import LeaseKeeper
from .limits import ConcatRefs, FlowControl
from .ownership import ConnectorOwnership
from .ports import Connector, InboundSms, OutboundPart, Receipt, SubmitOutcome, SubmitStatus
from .receipt_writer import ReceiptWriter, wait_event
from .routing import Failover, Router, UndelivWatch

__all__ = ["Engine", "EngineSettings"]

log = structlog.get_logger("smsrelay.engine")

_SENT_AT_CAPACITY = 200_000  # parts awaiting a receipt whose submit time is kept (metrics)

_EARLY_CAPACITY = 10_000  # receipts seen before their submit outcome (metrics)

ChangeSink = Callable[[Sequence[StatusChange]], None]
InboundHandler = Callable[[InboundSms], None]


class Engine:
    def __init__(
        self,
        queue: DeliveryQueue,
        router: Router,
        clock: Clock,
        settings: EngineSettings | None = None,
        on_changes: ChangeSink | None = None,
        on_inbound: InboundHandler | None = None,
        *,
        flow: FlowControl | None = None,
        charges: RouteCharges | None = None,
        metrics: Metrics | None = None,
        ownership: ConnectorOwnership | None = None,
    ) -> None:
        self._queue = queue
        self._ownership = ownership
        self._metrics: Metrics = metrics or NullMetrics()
        # (connector, carrier id) -> monotonic time of the submit: submit -> receipt seconds
        self._sent_at: OrderedDict[tuple[str, str], float] | None = (
            OrderedDict() if metrics is not None else None
        )
        self._early_receipts: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._flow = flow or FlowControl(clock)
        self._charges = charges
        self._reprices: list[Reprice] = []
        self._busy: dict[str, int] = {}
        self._concat_refs = ConcatRefs()
        self._undeliv = UndelivWatch()
        self._router = router
        self._clock = clock
        self._settings = settings or EngineSettings()
        self._listeners: list[ChangeSink] = [on_changes] if on_changes is not None else []
        self._route_states = StateLog()  # routes without a connector, logged per change
        self._on_inbound = on_inbound
        self._wake = asyncio.Event()
        self._capacity = asyncio.Event()
        self._in_flight = 0
        self._reserved = 0  # slots granted to accepting transactions not yet committed
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._running = False
        self._closing = asyncio.Event()  # set by close_receipts: loops end between writes
        self._refs = itertools.count(1)
        self._records: GroupCommitter[SubmitRecord, None] = GroupCommitter(
            self._flush_records, linger=self._settings.write_linger
        )
        self.stats = {
            "claimed": 0,  # taken for delivery, by a claim or handed over at acceptance
            "handed_over": 0,  # of those, claimed in the accepting transaction
            "submitted": 0,
            "rejected": 0,
            "retried": 0,
            "receipts": 0,
        }
        self._receipts = ReceiptWriter(queue, clock, self._settings, self._emit, self.stats)
        self.leases = LeaseKeeper(
            queue if isinstance(queue, LeaseRenewal) else None, clock, self._settings.lease
        )

    @property
    def router(self) -> Router:
        return self._router

    # --- sinks for connectors --------------------------------------------------------------

    def on_receipt(self, receipt: Receipt) -> None:
        if self._sent_at is not None:
            self._receipt_seen(receipt)
        undeliv = self._undeliv
        if self._running and undeliv.active and receipt.state is PartState.UNDELIVERED:
            verdict = undeliv.receipt(receipt, self._clock.monotonic())
            if isinstance(verdict, tuple):  # a failover_on_undeliv route: the next connector
                self._fail_over(verdict)
            if verdict is not False:
                return
        self._receipts.add(
            ReceiptRecord(receipt.connector, receipt.carrier_ids, receipt.state, receipt.at),
            receipt.ack,
        )

    def _receipt_seen(self, receipt: Receipt) -> None:
        sent = self._sent_at
        assert sent is not None
        for cid in receipt.carrier_ids:
            t = sent.pop((receipt.connector, cid), None)
            if t is not None:
                self._metrics.receipt(
                    receipt.connector, receipt.state.value, self._clock.monotonic() - t
                )
                return
        # often the receipt comes right behind the submit_sm_resp, before the submit's outcome
        # reached us: its latency is taken when that outcome arrives (see _submits_seen)
        early = self._early_receipts
        early[(receipt.connector, receipt.carrier_ids[0] if receipt.carrier_ids else "")] = (
            receipt.state.value
        )
        while len(early) > _EARLY_CAPACITY:
            early.popitem(last=False)

    def _submits_seen(
        self,
        message: OutboundMessage,
        connector: str,
        accepted: tuple[PartAccepted, ...],
        rejected: int,
        retry: int,
    ) -> None:
        m = self._metrics
        delay: float | None = None
        if message.attempts <= 1 and message.due_at is not None and accepted:
            delay = (self._clock.now() - message.due_at).total_seconds()
        m.submitted(connector, "accepted", len(accepted), delay)
        if rejected:
            m.submitted(connector, "rejected", rejected, None)
        if retry:
            m.submitted(connector, "retry", retry, None)
        sent = self._sent_at
        if sent is not None and accepted:
            now = self._clock.monotonic()
            early = self._early_receipts
            for p in accepted:
                stat = early.pop((connector, p.carrier_id), None) if early else None
                if stat is not None:
                    self._metrics.receipt(connector, stat, 0.0)
                else:
                    sent[(connector, p.carrier_id)] = now
            while len(sent) > _SENT_AT_CAPACITY:  # receipts that never came: forget the oldest
                sent.popitem(last=False)

    def set_inbound_handler(self, handler: InboundHandler) -> None:
        """Where mobile-originated messages go (the incoming-SMS service, wired in bootstrap)."""
        self._on_inbound = handler

    def on_inbound_sms(self, message: InboundSms) -> None:
        if self._on_inbound is not None:
            self._on_inbound(message)
        else:
            log.info("inbound_sms_dropped", connector=message.connector)

    def wake(self) -> None:
        """New work may be due (called after messages were accepted)."""
        self._wake.set()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        self._closing.clear()
        self._loops = [
            asyncio.create_task(self._dispatch_loop(), name="engine-dispatch"),
            asyncio.create_task(
                self._receipts.run(self._closing, lambda: self._running), name="engine-receipts"
            ),
            asyncio.create_task(self._housekeeping_loop(), name="engine-housekeeping"),
            asyncio.create_task(self.leases.run(self._closing), name="engine-leases"),
        ]

    async def stop(self, drain_timeout: float = 30.0) -> None:
        """Stop claiming, let in-flight submits finish, write every outcome."""
        self._running = False
        self._wake.set()
        self._capacity.set()
        dispatch = self._loops[0] if self._loops else None
        if dispatch is not None:
            await asyncio.wait([dispatch], timeout=drain_timeout)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=drain_timeout)
        await self._records.close()

    async def close_receipts(self, within: float = 30.0) -> None:
        """After connectors stopped: end the loops, then write the last receipts.

        The loops are asked to end and awaited, never cancelled first: a task cancelled in
        the middle of a write transaction can leave its SQLite connection holding the write
        lock, and the final write below would then fail with "database is locked".
        """
        self._closing.set()
        self._receipts.nudge()
        loops, self._loops = self._loops, []
        if loops:
            _done, pending = await asyncio.wait(loops, timeout=within)
            for task in pending:  # stuck beyond the bound: the last resort
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
        await self._receipts.apply()

    # --- dispatch --------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        s = self._settings
        while self._running:
            room = s.max_in_flight - self._in_flight - self._reserved
            ready = self._router.any_ready()
            if self._route_states.change("*", "ok" if ready else "no bound connector"):
                if ready:
                    log.info("delivery_resumed", reason="a connector is bound")
                elif self._ownership is not None and not self._ownership.owned:
                    log.info("delivery_waiting", reason="no connector held by this node")
                else:
                    log.warning("delivery_waiting", reason="no bound connector")
            if room <= 0 or not ready:
                self._capacity.clear()
                await wait_event(self._capacity, s.poll_interval)
                continue
            self._wake.clear()
            wanted = min(s.claim_batch, room)
            self._reserved += wanted  # the accepting transactions must not grant these slots
            batch: list[OutboundMessage] | None = None
            try:
                claimed = await self._queue.claim(
                    self._clock.now(), wanted, s.lease, Channel.SMS, only=self.routes_here()
                )
                self._emit(claimed.refused)  # stopped by the compliance check: cancelled
                batch = claimed
            except Exception:
                log.exception("claim_failed")
            finally:
                self._reserved -= wanted
            if not batch:  # none due, or the claim failed: wait for news or the next poll
                await wait_event(self._wake, s.poll_interval)
                continue
            self.stats["claimed"] += len(batch)
            for message in batch:
                self._spawn(self._deliver(message))
            if len(batch) < s.claim_batch // 4:
                await asyncio.sleep(s.write_linger)  # a trickle: let more become due per claim

    # --- which messages this node delivers (several nodes, docs/scaling.md) ----------------

    def routes_here(self) -> Callable[[int, str], bool] | None:
        """The claim filter: ``None`` (claim anything due) while this node holds every
        configured connector (always with one node); else a test of (account id, phone)."""
        own = self._ownership
        if own is None or own.owns_all():
            return None
        return self._routes_here

    def _routes_here(self, account_id: int, phone: str) -> bool:
        """The message's route, by priority, reaches a connector bound here before any that
        another live node holds. A message whose route's connectors nobody holds, or that has
        no route, is anyone's: it is retried later as with one node (its ``due_at`` moves on,
        so it never blocks the head of the queue for the others)."""
        own = self._ownership
        route = self._router.route_to(account_id, phone)
        if route is None or own is None:
            return True
        for name in route.connectors:
            if self._router.ready(name):
                return True
            if own.elsewhere(name):
                return False
        return True

    # --- claimed at acceptance (the services.ports.Handoff port) ----------------------------

    @property
    def lease(self) -> timedelta:
        return self._settings.lease

    def takes_handoffs(self) -> bool:
        """Whether messages claimed for us elsewhere are welcome (``delivery.delegation``):
        running, a connector bound, and every route delivered by this node."""
        return self._running and self._router.any_ready() and self.routes_here() is None

    def reserve(self, wanted: int) -> int:
        """Slots for messages an accepting transaction will store as claimed by us."""
        if not self._running or not self._router.any_ready():
            return 0
        room = self._settings.max_in_flight - self._in_flight - self._reserved
        granted = max(0, min(wanted, room))
        self._reserved += granted
        return granted

    def take(self, messages: Sequence[OutboundMessage], granted: int, queued: int) -> None:
        """The accepted messages, committed as claimed by us: deliver them now. Those left
        ``queued`` (no slot was free) are claimed by the dispatch loop."""
        self._reserved -= granted
        self.stats["claimed"] += len(messages)
        self.stats["handed_over"] += len(messages)
        for message in messages:
            self._spawn(self._deliver(message))
        if queued:
            self.wake()

    def release(self, granted: int) -> None:
        self._reserved -= granted
        self._capacity.set()

    def _fail_over(self, failover: Failover) -> None:
        receipt, message, tried = failover
        self._spawn(self._deliver(message, exclude=tried, fallback=receipt))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._in_flight += 1
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._in_flight -= 1
        self._capacity.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("deliver_failed", error=repr(task.exception()))

    async def _deliver(
        self,
        message: OutboundMessage,
        exclude: tuple[str, ...] = (),
        fallback: Receipt | None = None,
    ) -> None:
        """Try the route's connectors by priority (failover): one not ready, busy, or
        answering RETRY for every part -> the next; none left -> back to the queue. After an
        UNDELIV receipt (``fallback``) the connectors in ``exclude`` are skipped and, when no
        other one takes the message, the receipt stands."""
        if fallback is not None and await self._refused_at_failover(message, fallback):
            return
        self.leases.hold(message.id)  # renewed by the heartbeat until the outcome is recorded
        try:
            await self._deliver_held(message, exclude, fallback)
        finally:
            self.leases.drop(message.id)

    async def _deliver_held(
        self,
        message: OutboundMessage,
        exclude: tuple[str, ...],
        fallback: Receipt | None,
    ) -> None:
        route = self._router.route(message)
        flow = self._flow
        if not flow.empty:
            wait = flow.reserve_sender(message.account_id, message.sender, message.parts)
            if wait > self._settings.max_limit_wait:
                # a long wait would hold an in-flight slot others need: back to the queue
                flow.release_sender(message.account_id, message.sender, message.parts)
                self._retry(message, "account rate limit", after=timedelta(seconds=wait))
                return
            await flow.wait(wait)
        if route is not None and route.failover_on_undeliv:
            self._undeliv.begin()
            try:
                await self._deliver_on(message, route, exclude, fallback)
            finally:
                for receipt in self._undeliv.end(self._clock.monotonic()):
                    self.on_receipt(receipt)
        else:
            await self._deliver_on(message, route, exclude, fallback)

    async def _deliver_on(
        self,
        message: OutboundMessage,
        route: RouteSpec | None,
        exclude: tuple[str, ...],
        fallback: Receipt | None,
    ) -> None:
        detail, used = "no connector ready", ""
        for name in route.connectors if route is not None else ():
            if name in exclude:
                continue
            connector = self._router.bind(name)
            if connector is None or self._busy_elsewhere(name):
                continue
            self._busy[name] = self._busy.get(name, 0) + 1
            try:
                result = await self._deliver_via(message, connector)
            finally:
                self._busy[name] -= 1
            if isinstance(result, str):
                detail, used = result, name
                continue
            self._route_unavailable(route, message, None)
            if fallback is not None and fallback.ack is not None:
                fallback.ack()  # the UNDELIV receipt is answered by this new attempt
            tried = (*exclude, name)
            if (
                route is not None
                and route.failover_on_undeliv
                and result
                and any(n not in tried for n in route.connectors)
            ):
                for failover in self._undeliv.watch(message, tried, (p.carrier_id for p in result)):
                    self._fail_over(failover)
            return
        if fallback is not None:
            self.on_receipt(fallback)  # no other connector took it: the UNDELIV stands
            return
        self._route_unavailable(route, message, detail)
        self._retry(message, detail, used)

    async def _refused_at_failover(self, message: OutboundMessage, fallback: Receipt) -> bool:
        """A failover is a new submit attempt, outside any claim: check compliance again. A
        message that fails it is not sent elsewhere; its UNDELIV receipt stands (the carrier
        took its parts, so nothing is refunded) and the reason is stored."""
        try:
            reason = (await self._queue.refusals([message])).get(message.id)
            if reason is not None:
                await self._queue.note_refusal(message.id, reason, self._clock.now())
        except Exception:
            log.exception("failover_check_failed", message_id=message.id)
            reason = "unchecked"  # never send what could not be checked
        if reason is None:
            return False
        self.on_receipt(fallback)
        return True

    def _route_unavailable(
        self, route: RouteSpec | None, message: OutboundMessage, detail: str | None
    ) -> None:
        """Log a route that finds no connector to take its messages once when it starts
        (``detail``) and once when it ends (None), never per message."""
        key = route.connectors if route is not None else ()
        if not self._route_states.change(key, detail or "ok"):
            if detail is not None:
                log.debug("route_still_unavailable", connectors=list(key), id_sms=message.id)
            return
        if detail is None:
            log.info("route_available", connectors=list(key))
        else:
            log.warning("route_unavailable", connectors=list(key), detail=detail, id_sms=message.id)

    def _busy_elsewhere(self, name: str) -> bool:
        """``name`` holds its share of the in-flight slots while other connectors exist: the
        message tries the next connector, or goes back to the queue for a while."""
        return (
            self._busy.get(name, 0) >= self._settings.connector_backlog and self._router.several()
        )

    def _encoded(self, message: OutboundMessage, connector: str) -> tuple[list[OutboundPart], bool]:
        """The parts in the encoding the connector asks for (Latin-1 where GSM7 cannot, or
        UCS2 always), and whether they were re-encoded; data kinds (WAP push, vCard) never are."""
        parts = self._parts(message)
        wanted = self._router.encoding(connector)
        first = parts[0]
        if wanted is TextEncoding.GSM7 or first.port_udh is not None:
            return parts, False
        if wanted is TextEncoding.UCS2_ONLY and first.encoding is not textcodec.Encoding.UCS2:
            seg = textcodec.split(message.text, textcodec.Encoding.UCS2)
        elif wanted is TextEncoding.LATIN1 and first.encoding is textcodec.Encoding.UCS2:
            try:
                seg = textcodec.split(message.text, textcodec.Encoding.LATIN1)
            except textcodec.TextError:
                return parts, False
        else:
            return parts, False
        total = len(seg.parts)
        if total != len(parts) and self._charges is None:
            return parts, False  # another part count needs the charge adjusted: not without a store
        reencoded = [
            replace(first, part_no=i, total_parts=total, encoding=seg.encoding, payload=payload)
            for i, payload in enumerate(seg.parts, start=1)
        ]
        return reencoded, True

    async def _deliver_via(
        self, message: OutboundMessage, connector: Connector
    ) -> str | tuple[PartAccepted, ...]:
        """Submit every part through ``connector`` and record the outcome (returns the
        accepted parts); returns the detail instead when every part answered RETRY (nothing
        recorded: try the next connector)."""
        parts, reencoded = self._encoded(message, connector.name)
        flow = self._flow
        if not flow.empty:
            await flow.wait(flow.reserve_connector(connector.name, len(parts)))
        if len(parts) == 1:
            outcomes: Sequence[SubmitOutcome] = [await connector.submit(parts[0])]
        else:
            outcomes = await asyncio.gather(*(connector.submit(p) for p in parts))
            outcomes = await self._retry_parts(connector, parts, list(outcomes))
        accepted = tuple(
            PartAccepted(p.part_no, o.carrier_id or "")
            for p, o in zip(parts, outcomes, strict=True)
            if o.status is SubmitStatus.ACCEPTED
        )
        rejected = sum(1 for o in outcomes if o.status is SubmitStatus.REJECTED)
        retry = len(outcomes) - len(accepted) - rejected
        if self._sent_at is not None:
            self._submits_seen(message, connector.name, accepted, rejected, retry)
        if retry and not accepted and not rejected:
            return outcomes[0].detail or "retry"
        self.stats["submitted"] += 1
        if rejected or retry:
            self.stats["rejected"] += 1
        detail = "; ".join(o.detail for o in outcomes if o.detail)
        if accepted and not (rejected or retry) and self._charges is not None:
            # queued before the record: written before it, so receipts see the real parts
            price = self._router.price(connector.name, message.phone)
            new_price = None if price in (None, message.price.micros) else Money(price)
            count = len(parts) if reencoded else message.parts  # the count charged for
            if new_price is not None or count != message.parts:
                self._reprices.append(Reprice(message.id, new_price, count))
        record = SubmitRecord(
            message_id=message.id,
            connector=connector.name,
            accepted=accepted,
            rejected_parts=rejected + retry,
            detail=detail,
        )
        try:  # the slot is held until the outcome is stored: a crash resubmits at most
            await self._records.submit(record)  # max_in_flight messages
        except Exception:
            log.exception("submit_record_failed", message_id=message.id)
        trail_submitted(message.id, connector.name, (a.carrier_id for a in accepted), rejected)
        return accepted if not (rejected or retry) else ()

    async def _retry_parts(
        self, connector: Connector, parts: list[OutboundPart], outcomes: list[SubmitOutcome]
    ) -> list[SubmitOutcome]:
        """Some parts were accepted and some answered RETRY: the message cannot be queued
        again whole (its accepted parts would be sent twice), so the RETRY parts are
        submitted again here, at most ``part_retries`` times."""
        for _ in range(self._settings.part_retries):
            again = [i for i, o in enumerate(outcomes) if o.status is SubmitStatus.RETRY]
            if not again or len(again) == len(outcomes):
                break
            redone = await asyncio.gather(*(connector.submit(parts[i]) for i in again))
            for i, outcome in zip(again, redone, strict=True):
                outcomes[i] = outcome
        return outcomes

    def _retry(
        self,
        message: OutboundMessage,
        detail: str,
        connector: str = "",
        after: timedelta | None = None,
    ) -> None:
        self.stats["retried"] += 1
        delay = self._settings.retry_delay if after is None else after
        self._records.put(
            SubmitRecord(
                message_id=message.id,
                connector=connector,
                retry_at=self._clock.now() + delay,
                detail=detail,
            )
        )

    def _parts(self, message: OutboundMessage) -> list[OutboundPart]:
        ref = self._concat_refs.next(message.phone)
        built = payload(message.kind, message.text, message.extra, ref)  # as charged
        seg, port_udh, kind = built.segmented, built.port_udh, built.kind
        total = len(seg.parts)
        return [
            OutboundPart(
                message_id=message.id,
                part_no=i,
                total_parts=total,
                ref=ref,
                source=message.sender,
                destination=message.phone,
                encoding=seg.encoding,
                payload=data,
                kind=kind,
                valid_until=message.valid_until,
                port_udh=port_udh,
            )
            for i, data in enumerate(seg.parts, start=1)
        ]

    async def _flush_records(self, records: Sequence[SubmitRecord]) -> list[None]:
        if self._reprices and self._charges is not None:
            reprices, self._reprices = self._reprices, []
            try:
                await self._charges.reprice(reprices, self._clock.now())
            except Exception:
                log.exception("reprice_failed", messages=len(reprices))
        changes = await self._queue.record_submits(records, self._clock.now())
        self._emit(changes)
        self._receipts.recorded()  # receipts that came before these records may match now
        return [None] * len(records)

    # --- time-driven work ------------------------------------------------------------------

    async def _housekeeping_loop(self) -> None:
        while not self._closing.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("housekeeping_failed")
            await wait_event(self._closing, self._settings.housekeeping_interval)

    async def tick(self) -> None:
        """Release scheduled messages whose time came and expire those past validity."""
        now = self._clock.now()
        released = await self._queue.release_scheduled(now, 5000)
        self._emit(released.refused)
        if released:
            self.wake()
        self._emit(await self._queue.expire(now, 5000))

    def add_listener(self, listener: ChangeSink) -> None:
        """Be told of every status change the engine writes (webhooks, tests, the CLI)."""
        self._listeners.append(listener)

    def _emit(self, changes: Sequence[StatusChange]) -> None:
        if changes:
            for listener in self._listeners:
                listener(changes)
