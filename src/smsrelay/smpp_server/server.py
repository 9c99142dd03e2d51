"""The customer SMPP server (issue 11): binds, submit_sm through the platform's acceptance, and
the durable outbox of receipts and MO sent back as deliver_sm.

Accepting: a submit_sm (or data_sm) is read (:mod:`.messages`), parts are reassembled
(:mod:`.parts`), then the message goes through the SAME use case as an HTTP send
(``services.submit.SubmitService`` via the :class:`Submitter` port: sender check and moderation,
stop list, price, one exactly-once charge, group-committed); the submit_sm_resp is written only
after the accepting transaction committed, with the message's ``id_sms``. Refusals map to
statuses by :mod:`.statuses`; nothing refused is charged.

Returning: receipts and MO wait in ``smpp_outbox`` (filled by database triggers). The pump
claims due rows of the accounts that have a receiving bind in THIS process (a lease, so several
processes on one database share the work), sends them within each bind's window and deletes a
row only on deliver_sm_resp ESME_ROK; an error, a timeout or a lost bind makes it due again
after ``retry_delay``. Rows older than ``outbox_expiry`` are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import structlog

from ..clock import Clock
from ..domain.accounts import Account
from ..services.commands import SendItem, SendRecipient, SendResult
from ..services.smpp_access import BindGrant, BindRefusal
from ..services.smpp_outbox import BindRow, BindsStore, BindStats, OutboxStore
from ..smpp import CommandStatus, Pdu, Tag, Tlv
from .connection import Binding, CustomerConnection
from .deliveries import deliver_sm_for
from .messages import Refused, Submitted, read_submit
from .parts import PartAssembler, provisional_id
from .statuses import status_for

__all__ = ["ServerSettings", "SmppServer", "Submitter"]

log = structlog.get_logger("smsrelay.smpp_server")

S = CommandStatus
SYSTEM_ID = "smsrelay"
LIVE_WITHIN = 15.0  # seconds: a bind row not refreshed for this long is from a dead process


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 2775  # 0 = any free port (tests); the actual one is SmppServer.port
    window: int = 10  # deliver_sm awaiting deliver_sm_resp, per bind
    max_pdu: int = 64 * 1024
    bind_timeout: float = 30.0  # a connection must bind within this time
    idle_timeout: float = 120.0  # nothing received for this long: the bind is closed
    response_timeout: float = 30.0  # a deliver_sm unanswered this long is retried later
    retry_delay: float = 10.0  # a deliver_sm refused or unanswered is due again after this
    outbox_expiry: float = 72 * 3600.0  # receipts and MO nobody collected are dropped after
    lease: float = 60.0  # a claimed outbox row comes back if this process dies
    poll_interval: float = 0.2
    max_connections: int = 1000
    max_bad_pdus: int = 10  # malformed or unknown PDUs per connection, then it is closed
    max_failed_binds: int = 3  # per connection, then it is closed
    max_failed_binds_per_address: int = 10  # per minute, then binds from it are refused
    max_connections_per_address: int = 100  # open at once; more are closed at once
    max_bad_pdus_per_address: int = 100  # per minute, then new connections from it are closed
    max_pending_submits: int = 1000  # per connection, awaiting acceptance: ESME_RMSGQFUL
    part_timeout: float = 60.0  # an incomplete long message is dropped after this

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be in 0..65535")
        if min(self.window, self.max_connections, self.max_pending_submits) < 1:
            raise ValueError("window, max_connections and max_pending_submits must be >= 1")


class Submitter(Protocol):
    """The acceptance use case (``services.platform.PlatformService`` / ``SubmitService``)."""

    async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]: ...


class BindChecker(Protocol):
    async def check_bind(
        self, login: str, password: str, address: str
    ) -> BindGrant | BindRefusal: ...


class Store(OutboxStore, BindsStore, Protocol):
    async def prune_binds(self, before: Any) -> None: ...


@dataclass(slots=True)
class Counters:
    connections: int = 0
    refused_connections: int = 0
    binds: int = 0
    bind_failures: int = 0
    submits: int = 0
    accepted: int = 0
    refused: int = 0
    throttled: int = 0
    busy: int = 0
    bad_pdus: int = 0
    delivered: int = 0  # deliver_sm acknowledged
    redelivered: int = 0  # deliver_sm refused, unanswered or lost, due again


class _Bucket:
    """Token bucket: ``rate`` per second, a burst of one second's worth."""

    __slots__ = ("at", "rate", "tokens")

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.at = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


_REFUSAL_STATUS = {
    BindRefusal.INVALID_PASSWORD: S.ESME_RINVPASWD,
    BindRefusal.LOCKED: S.ESME_RBINDFAIL,
    BindRefusal.ADDRESS: S.ESME_RBINDFAIL,
}


class SmppServer:
    def __init__(
        self,
        settings: ServerSettings,
        submitter: Submitter,
        access: BindChecker,
        store: Store,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.counters = Counters()
        self.node = uuid.uuid4().hex
        self._submitter = submitter
        self._access = access
        self._store = store
        self._clock = clock
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self.connections: set[CustomerConnection] = set()
        self._receivers: dict[int, list[CustomerConnection]] = {}  # account -> rx/trx binds
        self._buckets: dict[int, _Bucket] = {}
        self._failed_by_address: dict[str, deque[float]] = {}
        self._bad_by_address: dict[str, deque[float]] = {}
        self.parts = PartAssembler(timeout=settings.part_timeout)
        self._acks: list[int] = []
        self._retries: list[int] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self.port = settings.port

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: CustomerConnection(self), self.settings.host, self.settings.port
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._loops = [
            asyncio.create_task(self._pump_loop(), name="smpp-server-pump"),
            asyncio.create_task(self._tick_loop(), name="smpp-server-tick"),
        ]
        log.info("smpp_server_listening", host=self.settings.host, port=self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            if conn.binding is not None and conn.session.bound:
                conn.send(Pdu.unbind(conn.session.next_sequence()))
            conn.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        self._stopping = True
        self._wake.set()
        if self._loops:
            pump, tick = self._loops
            tick.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tick
            await pump  # ends after its current round, its outcomes stored
        for conn in list(self.connections):
            conn.abort()  # what a customer acknowledges from now on is sent again later
        await asyncio.sleep(0)  # connection_lost: their unacknowledged deliver_sm -> retries
        await self._flush_outcomes()
        for conn in list(self.connections):
            if conn.binding is not None:
                await self._store.remove_bind(conn.binding.bind_id)
        self.connections.clear()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("smpp server task failed", error=repr(task.exception()))

    # --- connections and binds -----------------------------------------------------------

    def connected(self, conn: CustomerConnection) -> bool:
        cfg = self.settings
        now = asyncio.get_running_loop().time()
        same_address = sum(1 for c in self.connections if c.address == conn.address)
        if (
            len(self.connections) >= cfg.max_connections
            or same_address >= cfg.max_connections_per_address
            or self._recent(self._bad_by_address, conn.address, now) >= cfg.max_bad_pdus_per_address
        ):
            self.counters.refused_connections += 1
            return False
        self.connections.add(conn)
        self.counters.connections += 1
        return True

    def disconnected(self, conn: CustomerConnection) -> None:
        self.connections.discard(conn)
        # deliver_sm never acknowledged on this bind: due again later
        self._retries.extend(conn.inflight.values())
        self.counters.redelivered += len(conn.inflight)
        conn.inflight.clear()
        binding = conn.binding
        if binding is not None:
            receivers = self._receivers.get(binding.account.id)
            if receivers is not None and conn in receivers:
                receivers.remove(conn)
                if not receivers:
                    del self._receivers[binding.account.id]
            self.spawn(self._store.remove_bind(binding.bind_id))
        self._wake.set()

    @staticmethod
    def _recent(events: dict[str, deque[float]], address: str, now: float) -> int:
        """How many events from ``address`` in the last minute."""
        times = events.get(address)
        if times is None:
            return 0
        while times and now - times[0] > 60.0:
            times.popleft()
        return len(times)

    @staticmethod
    def _note(events: dict[str, deque[float]], address: str, now: float) -> None:
        if len(events) > 100_000:
            events.clear()  # bounded memory under an address-rotating flood
        events.setdefault(address, deque(maxlen=1000)).append(now)

    def _address_throttled(self, address: str, now: float) -> bool:
        failed = self._recent(self._failed_by_address, address, now)
        return failed >= self.settings.max_failed_binds_per_address

    def bad_pdu_from(self, address: str) -> None:
        self.counters.bad_pdus += 1
        self._note(self._bad_by_address, address, asyncio.get_running_loop().time())

    def _bind_failed(self, conn: CustomerConnection, now: float) -> None:
        self.counters.bind_failures += 1
        conn.failed_binds += 1
        self._note(self._failed_by_address, conn.address, now)
        if conn.failed_binds >= self.settings.max_failed_binds:
            conn.close()

    async def bind(self, conn: CustomerConnection, pdu: Pdu, bind_type: str) -> None:
        try:
            await self._bind(conn, pdu, bind_type)
        except Exception as exc:  # the database is away: the customer may bind again later
            log.warning("smpp bind failed", error=repr(exc))
            conn.send(pdu.response(S.ESME_RSYSERR, (), system_id=SYSTEM_ID))
        finally:
            conn.binding_in_progress = False

    async def _bind(self, conn: CustomerConnection, pdu: Pdu, bind_type: str) -> None:
        loop_now = asyncio.get_running_loop().time()
        status: int = S.ESME_ROK
        grant: BindGrant | BindRefusal = BindRefusal.INVALID_PASSWORD
        if self._address_throttled(conn.address, loop_now):
            status = S.ESME_RBINDFAIL
        else:
            grant = await self._access.check_bind(
                pdu.str_param("system_id"), pdu.str_param("password"), conn.address
            )
            if isinstance(grant, BindRefusal):
                status = _REFUSAL_STATUS[grant]
            else:
                live = await self._store.count_live_binds(
                    grant.account.id, self._clock.now() - timedelta(seconds=LIVE_WITHIN)
                )
                if live >= grant.access.max_binds:
                    status = S.ESME_RBINDFAIL
        if status != S.ESME_ROK or not isinstance(grant, BindGrant) or not conn.open:
            conn.send(pdu.response(status, (), system_id=SYSTEM_ID))
            self._bind_failed(conn, loop_now)
            return
        binding = Binding(
            bind_id=uuid.uuid4().hex,
            account=grant.account,
            access=grant.access,
            bind_type=bind_type,
            since=loop_now,
        )
        now = self._clock.now()
        await self._store.add_bind(
            BindRow(
                bind_id=binding.bind_id,
                account_id=grant.account.id,
                login=grant.account.login,
                address=conn.address,
                bind_type=bind_type,
                node=self.node,
                since=now,
                updated_at=now,
            )
        )
        if not conn.open:
            await self._store.remove_bind(binding.bind_id)
            return
        tlvs = (Tlv.of_int(Tag.SC_INTERFACE_VERSION, 0x34),)
        conn.send(pdu.response(S.ESME_ROK, tlvs, system_id=SYSTEM_ID))
        conn.binding = binding
        self.counters.binds += 1
        if binding.receives:
            self._receivers.setdefault(grant.account.id, []).append(conn)
            self._wake.set()

    # --- accepting ------------------------------------------------------------------------

    def _bucket(self, binding: Binding, now: float) -> _Bucket:
        bucket = self._buckets.get(binding.account.id)
        rate = float(binding.access.throughput)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[binding.account.id] = _Bucket(rate, now)
        return bucket

    def submit(self, conn: CustomerConnection, pdu: Pdu) -> None:
        binding = conn.binding
        if binding is None:  # the session table already refuses it; defensive
            conn.send(pdu.response(S.ESME_RINVBNDSTS))
            return
        self.counters.submits += 1
        binding.submits += 1
        now = asyncio.get_running_loop().time()
        if conn.pending_submits >= self.settings.max_pending_submits or conn.closing:
            self.counters.busy += 1
            conn.send(pdu.response(S.ESME_RMSGQFUL))
            return
        if not self._bucket(binding, now).take(now):
            self.counters.throttled += 1
            conn.send(pdu.response(S.ESME_RTHROTTLED))
            return
        message = read_submit(pdu, self._clock.now())
        if isinstance(message, Submitted) and message.part is not None:
            part = message.part
            message = self.parts.add(binding.account.id, message, now)  # type: ignore[assignment]
            if message is None:
                conn.send(pdu.response(S.ESME_ROK, (), message_id=provisional_id(part)))
                return
        if isinstance(message, Refused):
            self.counters.refused += 1
            conn.send(pdu.response(message.status))
            return
        assert isinstance(message, Submitted)
        extra = {"entry": "smpp"}
        if message.receipt:
            extra["smpp_dlr"] = message.receipt
        item = SendItem(
            recipients=[
                SendRecipient(
                    phone=message.destination,
                    time_send=message.time_send,
                    validity_period=message.valid_until,
                )
            ],
            sender=message.source,
            text=message.text,
            extra=extra,
        )
        conn.pending_submits += 1
        self.spawn(self._accept(conn, pdu, binding.account, item))

    async def _accept(
        self, conn: CustomerConnection, pdu: Pdu, account: Account, item: SendItem
    ) -> None:
        try:
            results = await self._submitter.send(account, [item])
        except Exception as exc:  # the database is down: the customer retries
            log.warning("smpp submit failed", error=repr(exc))
            response = pdu.response(S.ESME_RSYSERR)
        else:
            result = results[0]
            if result.ok and result.id_sms is not None:
                self.counters.accepted += 1
                response = pdu.response(S.ESME_ROK, (), message_id=str(result.id_sms))
            else:
                self.counters.refused += 1
                assert result.error is not None
                response = pdu.response(status_for(result.error))
        finally:
            conn.pending_submits -= 1
        conn.send(response)
        if conn.closing:
            conn.flush()

    # --- returning: the outbox --------------------------------------------------------------

    def acknowledged(self, conn: CustomerConnection, pdu: Pdu) -> None:
        row = conn.inflight.pop(pdu.sequence, None)
        if row is None:
            return
        if pdu.status == S.ESME_ROK:
            self._acks.append(row)
            self.counters.delivered += 1
            if conn.binding is not None:
                conn.binding.receipts += 1
        else:
            self._retries.append(row)
            self.counters.redelivered += 1
        self._wake.set()

    async def _pump_loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)
            self._wake.clear()
            try:
                await self._flush_outcomes()
                await self._pump_once()
            except Exception as exc:  # the database may be away for a while: keep going
                log.warning("smpp outbox pump failed", error=repr(exc))
                await asyncio.sleep(self.settings.poll_interval)

    async def _flush_outcomes(self) -> None:
        """Store acknowledgements and retries; a list is emptied only once it is stored (an
        interrupted flush is repeated, never lost)."""
        acks = list(self._acks)
        if acks:
            await self._store.ack_outbox(acks)
            del self._acks[: len(acks)]
        retries = list(self._retries)
        if retries:
            later = self._clock.now() + timedelta(seconds=self.settings.retry_delay)
            await self._store.retry_outbox(retries, later)
            del self._retries[: len(retries)]

    async def _pump_once(self) -> None:
        for account_id, receivers in list(self._receivers.items()):
            free = sum(
                c.session.window - len(c.inflight)
                for c in receivers
                if c.open and not c.closing and c.session.bound
            )
            if free <= 0:
                continue
            items = await self._store.claim_outbox(
                [account_id],
                self.node,
                self._clock.now(),
                timedelta(seconds=self.settings.lease),
                free,
            )
            unsent: list[int] = []
            turn = 0
            for item in items:
                sent = False
                for _ in range(len(receivers)):
                    conn = receivers[turn % len(receivers)]
                    turn += 1
                    if (
                        conn.open
                        and not conn.closing
                        and len(conn.inflight) < conn.session.window
                        and conn.binding is not None
                        and conn.binding.account.id == item.account_id
                    ):
                        seq = conn.session.next_sequence()
                        if conn.send(deliver_sm_for(item, seq)):
                            conn.inflight[seq] = item.id
                            sent = True
                            break
                if not sent:
                    unsent.append(item.id)
            if unsent:
                await self._store.retry_outbox(unsent, self._clock.now())

    # --- timers ------------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(1.0)
            ticks += 1
            try:
                await self._tick(ticks)
            except Exception as exc:
                log.warning("smpp server tick failed", error=repr(exc))

    async def _tick(self, ticks: int) -> None:
        loop_now = asyncio.get_running_loop().time()
        stats: list[BindStats] = []
        for conn in list(self.connections):
            due = conn.session.timeouts(loop_now)
            for expired in due.expired:
                row = conn.inflight.pop(expired.sequence, None)
                if row is not None:
                    self._retries.append(row)
                    self.counters.redelivered += 1
            if due.idle:
                conn.close()
                conn.abort()
                continue
            if conn.binding is None and loop_now - conn.opened > self.settings.bind_timeout:
                conn.close()
                continue
            b = conn.binding
            if b is not None:
                stats.append(
                    BindStats(
                        b.bind_id,
                        b.submits,
                        b.receipts,
                        float(b.submits - b.last_submits),
                        float(b.receipts - b.last_receipts),
                        len(conn.inflight),
                    )
                )
                b.last_submits, b.last_receipts = b.submits, b.receipts
        if self._retries:
            self._wake.set()
        now = self._clock.now()
        kicked = await self._store.refresh_binds(stats, now)
        if kicked:
            for conn in list(self.connections):
                if conn.binding is not None and conn.binding.bind_id in kicked:
                    if conn.session.bound:
                        conn.send(Pdu.unbind(conn.session.next_sequence()))
                    conn.close()
        self.parts.expire(loop_now)
        if ticks % 60 == 1:
            await self._store.prune_outbox(now - timedelta(seconds=self.settings.outbox_expiry))
            await self._store.prune_binds(now - timedelta(seconds=LIVE_WITHIN * 4))
