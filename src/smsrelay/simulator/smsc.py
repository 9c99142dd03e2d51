"""The built-in carrier: a real SMPP 3.4 server (SMSC) on a TCP port.

It accepts bind_transmitter / bind_receiver / bind_transceiver (credentials checked unless the
configured password is empty), answers submit_sm (and data_sm) with unique message ids, and
sends delivery receipts ``receipt_delay`` seconds after the response as deliver_sm with
esm_class 0x04, the Appendix B receipt text and the ``receipted_message_id`` and
``message_state`` TLVs; one receipt per submitted part. Receipts go to the submitting
connection when it can receive, else to another receiver bound with the same system_id, else
they wait (bounded) for one to bind.

Outcomes by the destination's last four digits (see :mod:`.outcomes`)::

    ...9001  receipt UNDELIV           ...9004  accepted, no receipt ever
    ...9002  receipt EXPIRED           ...9005  ESME_RTHROTTLED once per destination + text,
    ...9003  ESME_RINVDSTADR, no receipt         then accepted and DELIVRD
    anything else: receipt DELIVRD

Mobile-originated messages (MO): :meth:`Smsc.inject_mo` sends one to the bound receivers.
From another process, bind with the simulator's credentials and system_type ``MO``
(:data:`MO_SYSTEM_TYPE`): every submit_sm on that bind becomes an MO from its source_addr to its
destination_addr with its text (``smsrelay simulate mo`` does this), answered ESME_ROK once the
platform acknowledged the deliver_sm(s), ESME_RSUBMITFAIL when no receiver is bound or it did
not answer. With ``mo_echo`` on, a message submitted to a number ending ``9008`` is answered by
an MO "STOP" from that number (a subscriber opting out).

Test hooks: :meth:`Smsc.inject_mo`, :attr:`Smsc.submitted` (the last submit_sm PDUs received),
:meth:`Smsc.hold_responses` / :meth:`release_responses` (to observe the client's window),
:meth:`drop_connections`, :meth:`wait_for`.

Carrier faults (:mod:`.faults`) are injected by :meth:`Smsc.set_faults` or, from another
process, by a *control bind* (system_type ``FAULTS``, the simulator's credentials) whose
submit_sm texts are fault plans (``smsrelay simulate fault …``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import structlog

from .. import text as textcodec
from ..clock import Clock, SystemClock
from ..smpp import CommandStatus, Pdu, Tag
from ..smpp.constants import DC_GSM7, DC_LATIN1, DC_UCS2, ESM_UDHI
from ..smpp.pdu_tables import ParamValue
from ..smpp.udh import concat_element, join_udh
from .config import SimulatorConfig, SmscCounters
from .connection import MO_SYSTEM_TYPE, Deliver, SmscConnection
from .faults import FaultPlan, FaultState
from .outcomes import MessageIds, Outcome, receipt_pdu_params

__all__ = ["MO_SYSTEM_TYPE", "SimulatorConfig", "Smsc", "SmscCounters"]

log = structlog.get_logger("smsrelay.simulator")

S = CommandStatus
_DATA_CODING = {
    textcodec.Encoding.GSM7: DC_GSM7,
    textcodec.Encoding.UCS2: DC_UCS2,
    textcodec.Encoding.LATIN1: DC_LATIN1,
}
_MAX_THROTTLE_KEYS = 100_000


class Smsc:
    def __init__(self, config: SimulatorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock: Clock = clock or SystemClock()
        self.counters = SmscCounters()
        self.ids = MessageIds(self.config.id_format)
        self.holding = False
        self.connections: list[SmscConnection] = []
        self._server: asyncio.AbstractServer | None = None
        self._port = 0
        self._throttle_seen: set[tuple[str, bytes]] = set()
        self._pending: dict[str, deque[Deliver]] = {}
        self._pending_count = 0
        self._receipts: deque[tuple[float, Deliver]] = deque()
        self._receipt_timer: asyncio.TimerHandle | None = None
        self._waiters: list[tuple[Callable[[Smsc], bool], asyncio.Future[None]]] = []
        self._mo_refs = itertools.count(1)
        self._rr = itertools.count()
        self.submitted: deque[Pdu] = deque(maxlen=max(1, self.config.keep_submitted))
        self._tasks: set[asyncio.Task[None]] = set()
        self.faults = FaultState()
        self._drop_timer: asyncio.TimerHandle | None = None

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SmscConnection(self), self.config.host, self.config.port
        )
        self._port = self._server.sockets[0].getsockname()[1]
        log.info("simulator_listening", host=self.config.host, port=self._port)

    @property
    def port(self) -> int:
        return self._port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._receipt_timer is not None:
            self._receipt_timer.cancel()
            self._receipt_timer = None
        if self._drop_timer is not None:
            self._drop_timer.cancel()
            self._drop_timer = None
        closing = [c.closed for c in self.connections]
        for conn in list(self.connections):
            conn.close()
        if closing:
            await asyncio.wait(closing, timeout=5.0)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        for _, fut in self._waiters:
            fut.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- connections (called by SmscConnection) ----------------------------------------

    def connected(self, conn: SmscConnection) -> None:
        self.connections.append(conn)
        self.counters.connections += 1
        self.notify()

    def disconnected(self, conn: SmscConnection, unsent: Iterable[Deliver]) -> None:
        if conn in self.connections:
            self.connections.remove(conn)
        for item in unsent:  # at-least-once: receipts and MO parts go out again elsewhere
            item.origin = None
            self._route(item)
        self.notify()

    def check_bind(self, system_id: str, password: str) -> int:
        cfg = self.config
        if cfg.password:
            if system_id != cfg.system_id:
                return S.ESME_RINVSYSID
            if password != cfg.password:
                return S.ESME_RINVPASWD
        if sum(1 for c in self.connections if c.session.bound) >= cfg.max_binds:
            return S.ESME_RBINDFAIL
        return S.ESME_ROK

    def bound(self, conn: SmscConnection) -> None:
        self.counters.binds += 1
        log.info("simulator_bound", system_id=conn.system_id, state=conn.session.state.value)
        if conn.can_receive:
            for key in (conn.system_id, ""):
                queue = self._pending.pop(key, None)
                while queue:
                    self._pending_count -= 1
                    self._send_to(conn, queue.popleft())

    def first_try(self, pdu: Pdu) -> bool:
        """True the first time this destination + text is seen (for the 9005 throttle)."""
        body = pdu.bytes_param("short_message") if "short_message" in pdu.params else b""
        payload = pdu.tlv(Tag.MESSAGE_PAYLOAD)
        key = (pdu.str_param("destination_addr"), body + (payload.value if payload else b""))
        if key in self._throttle_seen:
            return False
        if len(self._throttle_seen) >= _MAX_THROTTLE_KEYS:
            self._throttle_seen.clear()
        self._throttle_seen.add(key)
        return True

    # --- receipts ----------------------------------------------------------------------

    def receipt_for(
        self, request: Pdu, message_id: str, outcome: Outcome, origin: SmscConnection
    ) -> Deliver | None:
        """The receipt a submit earns, or ``None`` (no receipt outcome, or none requested)."""
        state = outcome.receipt
        wanted = request.int_param("registered_delivery") & 0x03
        if state is None or wanted == 0 or (wanted == 2 and outcome.error == 0):
            return None
        submitted = self.clock.now()
        done = submitted + timedelta(seconds=self.config.receipt_delay)
        params, tlvs = receipt_pdu_params(
            request, message_id, state, outcome.error, submitted, done
        )
        return Deliver(origin.system_id, params, tlvs, None, origin)

    def schedule_receipt(self, item: Deliver) -> None:
        delay = self.config.receipt_delay
        if delay <= 0:
            self._route(item)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        self._receipts.append((due, item))  # one fixed delay: append order is due order
        if self._receipt_timer is None:
            self._receipt_timer = loop.call_at(due, self._fire_receipts)

    def _fire_receipts(self) -> None:
        self._receipt_timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        batch = list(self.connections)
        for conn in batch:
            conn.begin_batch()
        try:
            while self._receipts and self._receipts[0][0] <= now + 0.001:
                self._route(self._receipts.popleft()[1])
        finally:
            for conn in batch:
                conn.end_batch()
        if self._receipts:
            self._receipt_timer = loop.call_at(self._receipts[0][0], self._fire_receipts)
        self.notify()

    def _route(self, item: Deliver) -> SmscConnection | None:
        origin = item.origin
        if origin is not None and origin.can_receive:
            self._send_to(origin, item)
            return origin
        receivers = [
            c for c in self.connections if c.can_receive and item.system_id in ("", c.system_id)
        ]
        if receivers:
            target = receivers[next(self._rr) % len(receivers)]
            self._send_to(target, item)
            return target
        if item.is_receipt and self._pending_count >= self.config.max_pending_receipts:
            self.counters.receipts_dropped += 1
            return None
        self._pending.setdefault(item.system_id, deque()).append(item)
        self._pending_count += 1
        return None

    def _send_to(self, conn: SmscConnection, item: Deliver) -> None:
        if not conn.deliver(item):
            self.counters.receipts_dropped += 1
        elif item.is_receipt:
            self.counters.receipts_sent += 1

    # --- mobile-originated messages ----------------------------------------------------

    async def inject_mo(
        self,
        source: str,
        destination: str,
        text: str,
        *,
        system_id: str = "",
        ack_within: float = 10.0,
    ) -> None:
        """Send an MO message (concatenated with an 8-bit UDH reference if it needs parts) to a
        bound receiver and wait for its deliver_sm_resp(s). Raises ``LookupError`` when no
        receiver is bound, ``TimeoutError`` when the ESME does not answer within ``ack_within``."""
        if not any(c.can_receive and system_id in ("", c.system_id) for c in self.connections):
            raise LookupError("no receiver or transceiver is bound")
        segmented = textcodec.split(text)
        total = len(segmented.parts)
        ref = next(self._mo_refs) & 0xFF
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[int]] = []
        for number, payload in enumerate(segmented.parts, 1):
            params: dict[str, ParamValue] = {
                "source_addr_ton": 1 if source.isdigit() else 5,
                "source_addr_npi": 1 if source.isdigit() else 0,
                "source_addr": source,
                "dest_addr_ton": 1 if destination.isdigit() else 5,
                "dest_addr_npi": 1 if destination.isdigit() else 0,
                "destination_addr": destination,
                "data_coding": _DATA_CODING[segmented.encoding],
                "short_message": payload,
            }
            if total > 1:
                params["esm_class"] = ESM_UDHI
                params["short_message"] = join_udh(concat_element(ref, total, number), payload)
            done: asyncio.Future[int] = loop.create_future()
            futures.append(done)
            self._route(Deliver(system_id, params, (), done))
        statuses = await asyncio.wait_for(asyncio.gather(*futures), ack_within)
        self.counters.mo_sent += total
        self.notify()
        if any(s != S.ESME_ROK for s in statuses):
            log.info("simulator_mo_refused", statuses=statuses)

    def control_submit(self, conn: SmscConnection, pdu: Pdu) -> None:
        """A submit_sm on a control bind: send it on as an MO, answer once it was taken."""
        text = _submitted_text(pdu)
        source, destination = pdu.str_param("source_addr"), pdu.str_param("destination_addr")

        async def forward() -> None:
            status: int = S.ESME_ROK
            try:
                await self.inject_mo(source, destination, text)
            except (LookupError, TimeoutError) as exc:
                log.info("simulator_control_mo_failed", error=type(exc).__name__)
                status = S.ESME_RSUBMITFAIL
            message_id = self.ids.next() if status == S.ESME_ROK else ""
            if status == S.ESME_ROK:
                conn.send(pdu.response(S.ESME_ROK, (), message_id=message_id))
            else:
                conn.send(pdu.response(status))

        self._spawn(forward())

    def echo(self, pdu: Pdu) -> None:
        """``mo_echo``: a message to ...9008 gets an MO "STOP" back from that number."""
        destination = pdu.str_param("destination_addr")
        if not (self.config.mo_echo and destination.endswith("9008")):
            return
        source = pdu.str_param("source_addr")

        async def reply() -> None:
            try:
                await self.inject_mo(destination, source, "STOP")
            except (LookupError, TimeoutError) as exc:
                log.info("simulator_mo_echo_failed", error=type(exc).__name__)

        self._spawn(reply())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- test hooks --------------------------------------------------------------------

    def hold_responses(self) -> None:
        """Stop answering submit_sm until :meth:`release_responses` (observe the window)."""
        self.holding = True

    def release_responses(self) -> None:
        self.holding = False
        for conn in list(self.connections):
            conn.release()
        self.notify()

    @property
    def held(self) -> int:
        return sum(c.held for c in self.connections)

    def drop_connections(self) -> None:
        """Cut every connection without unbind (simulates a network failure)."""
        for conn in list(self.connections):
            conn.abort()

    # --- carrier faults ----------------------------------------------------------------

    def set_faults(self, plan: FaultPlan) -> None:
        """Put ``plan`` in force from now on (``FaultPlan()`` clears every fault)."""
        self.faults.set(plan)
        if self._drop_timer is not None:
            self._drop_timer.cancel()
            self._drop_timer = None
        if plan.drop_every > 0:
            loop = asyncio.get_running_loop()
            self._drop_timer = loop.call_later(plan.drop_every, self._drop_tick)
        log.info("simulator_faults", plan=plan.describe())

    def _drop_tick(self) -> None:
        every = self.faults.plan.drop_every
        self.faults.counters.drops += 1
        self.drop_connections()
        loop = asyncio.get_running_loop()
        self._drop_timer = loop.call_later(every, self._drop_tick) if every > 0 else None

    def control(self, pdu: Pdu) -> int:
        """A control bind's submit_sm: its text is a fault plan; the response status."""
        text = pdu.bytes_param("short_message").decode("latin-1")
        try:
            plan = FaultPlan.parse(text)
        except ValueError as exc:
            log.warning("simulator_fault_plan_refused", error=str(exc))
            return S.ESME_RSUBMITFAIL
        self.set_faults(plan)
        return S.ESME_ROK

    def route_now(self, item: Deliver) -> None:
        """Send a receipt at once, whatever ``receipt_delay`` says (``receipt_first`` fault)."""
        self._route(item)

    def stats(self) -> dict[str, int]:
        return {
            **asdict(self.counters),
            **{f"fault_{k}": v for k, v in asdict(self.faults.counters).items()},
            "bound": sum(1 for c in self.connections if c.session.bound),
        }

    async def wait_for(self, predicate: Callable[[Smsc], bool], within: float = 5.0) -> None:
        """Return once ``predicate(self)`` holds (checked after each batch of traffic)."""
        if predicate(self):
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(fut, within)
        finally:
            self._waiters.remove(entry)

    def notify(self) -> None:
        for predicate, fut in self._waiters:
            if not fut.done() and predicate(self):
                fut.set_result(None)


_SUBMIT_ENCODING = {
    DC_GSM7: textcodec.Encoding.GSM7,
    DC_UCS2: textcodec.Encoding.UCS2,
    DC_LATIN1: textcodec.Encoding.LATIN1,
}


def _submitted_text(pdu: Pdu) -> str:
    """The text of a submit_sm (short_message or message_payload, by data_coding)."""
    body = pdu.bytes_param("short_message") if "short_message" in pdu.params else b""
    payload = pdu.tlv(Tag.MESSAGE_PAYLOAD)
    if not body and payload is not None:
        body = payload.value
    encoding = _SUBMIT_ENCODING.get(pdu.int_param("data_coding"), textcodec.Encoding.LATIN1)
    try:
        return textcodec.decode(body, encoding)
    except textcodec.TextError:
        return body.decode("latin-1")
