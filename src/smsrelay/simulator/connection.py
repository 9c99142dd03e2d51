"""One ESME connection to the simulated SMSC: an ``asyncio.Protocol`` around a sans-I/O Session.

Everything one ``data_received`` produces (responses, zero-delay receipts) is written to the
transport in a single ``write``; nothing is logged per PDU. Bounded per connection: the PDU size
(``max_pdu``), bad PDUs (``max_bad_pdus``, then close), failed binds (three, then close), the
time allowed to bind (``bind_timeout``) and the deliver_sm window.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import structlog

from ..smpp import (
    CONNECTION_CLOSED,
    NEED_DATA,
    CommandId,
    CommandStatus,
    MessageState,
    Pdu,
    Role,
    Session,
    SmppError,
    State,
    Tag,
    Tlv,
    UnexpectedResponseError,
    encode,
    error_reply,
)
from ..smpp.pdu_tables import ParamValue
from ..smpp.timefmt import format_absolute
from .config import SimulatorConfig, SmscCounters
from .faults import CONTROL_SYSTEM_TYPE, NO_FAULT, FaultState
from .outcomes import DEFAULT_OUTCOME, MessageIds, Outcome, outcome_for

__all__ = ["MO_SYSTEM_TYPE", "Deliver", "SmscConnection", "SmscHost"]

log = structlog.get_logger("smsrelay.simulator")

C = CommandId
S = CommandStatus
SMSC_SYSTEM_ID = "smsrelay-sim"
MAX_FAILED_BINDS = 3
#: system_type of a bind whose submit_sm become MOs to the platform (``smsrelay simulate mo``)
MO_SYSTEM_TYPE = "MO"
_BINDS = frozenset({C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER})
_UNSUPPORTED = {
    C.CANCEL_SM: S.ESME_RCANCELFAIL,
    C.REPLACE_SM: S.ESME_RREPLACEFAIL,
}
_ACKS = frozenset({C.DELIVER_SM_RESP, C.DATA_SM_RESP, C.GENERIC_NACK})
_RECEIVING = frozenset({State.BOUND_RX, State.BOUND_TRX})
_TRANSMITTING = frozenset({State.BOUND_TX, State.BOUND_TRX})


@dataclass(slots=True)
class Deliver:
    """A deliver_sm the simulator wants to send: a delivery receipt or one MO part."""

    system_id: str  # the ESME account it is for; "" = any bound receiver
    params: dict[str, ParamValue]
    tlvs: tuple[Tlv, ...] = ()
    done: asyncio.Future[int] | None = None  # MO parts: the deliver_sm_resp status
    origin: SmscConnection | None = field(default=None, repr=False)

    @property
    def is_receipt(self) -> bool:
        return self.done is None


@dataclass(slots=True)
class _Held:
    response: Pdu
    receipt: Deliver | None


class SmscHost(Protocol):
    """What a connection needs from the SMSC that accepted it (``smsc.Smsc``)."""

    config: SimulatorConfig
    counters: SmscCounters
    ids: MessageIds
    faults: FaultState
    submitted: deque[Pdu]
    holding: bool
    final_states: OrderedDict[str, tuple[MessageState, datetime]]

    def connected(self, conn: SmscConnection) -> None: ...
    def disconnected(self, conn: SmscConnection, unsent: Iterable[Deliver]) -> None: ...
    def bound(self, conn: SmscConnection) -> None: ...
    def notify(self) -> None: ...
    def check_bind(self, system_id: str, password: str) -> int: ...
    def control(self, pdu: Pdu) -> int: ...
    def control_submit(self, conn: SmscConnection, pdu: Pdu) -> None: ...
    def first_try(self, pdu: Pdu) -> bool: ...
    def receipt_for(
        self, request: Pdu, message_id: str, outcome: Outcome, origin: SmscConnection
    ) -> Deliver | None: ...
    def echo(self, pdu: Pdu) -> None: ...
    def remember(self, message_id: str, outcome: Outcome) -> None: ...
    def schedule_receipt(self, item: Deliver) -> None: ...
    def route_now(self, item: Deliver) -> None: ...


class SmscConnection(asyncio.Protocol):
    def __init__(self, smsc: SmscHost) -> None:
        cfg = smsc.config
        self.smsc = smsc
        self.session = Session(
            Role.SMSC,
            window=cfg.window,
            max_pdu=cfg.max_pdu,
            enquire_link_interval=None,
            response_timeout=60.0,
        )
        self.transport: asyncio.Transport | None = None
        self.system_id = ""
        self.unanswered_submits = 0
        self.control = False  # a control bind: its submit_sm texts are fault plans
        self.mo_control = False  # an MO bind: its submit_sm become MOs to the platform
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._loop = asyncio.get_running_loop()
        self._out: list[bytes] = []
        self._batching = False
        self._close_after_flush = False
        self._queue: deque[Deliver] = deque()
        self._inflight: dict[int, Deliver] = {}
        self._held: list[_Held] = []
        self._bad = 0
        self._failed_binds = 0
        self._bind_timer: asyncio.TimerHandle | None = None

    # --- state -------------------------------------------------------------------------

    @property
    def can_receive(self) -> bool:
        return (
            self.session.state in _RECEIVING and not self._close_after_flush and not self.mo_control
        )

    @property
    def held(self) -> int:
        return len(self._held)

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: trust the protocol contract
        self.transport = transport  # type: ignore[assignment]
        self._bind_timer = self._loop.call_later(self.smsc.config.bind_timeout, self._bind_timeout)
        self.smsc.connected(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._bind_timer is not None:
            self._bind_timer.cancel()
        unsent = [*self._inflight.values(), *self._queue]
        self._inflight.clear()
        self._queue.clear()
        self._held.clear()
        self.session.close()
        self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)
        self.smsc.disconnected(self, unsent)

    def data_received(self, data: bytes) -> None:
        session = self.session
        session.receive_data(data, self._loop.time())
        self.begin_batch()
        try:
            while True:
                try:
                    event = session.next_event()
                except SmppError as exc:
                    if not self._bad_pdu(exc):
                        break
                    continue
                if event is NEED_DATA or event is CONNECTION_CLOSED:
                    break
                assert isinstance(event, Pdu)
                self._handle(event)
        finally:
            self.end_batch()
        self.smsc.notify()

    def eof_received(self) -> bool | None:
        return False  # close our side too

    # --- output ------------------------------------------------------------------------

    def send(self, pdu: Pdu) -> bool:
        try:
            data = self.session.send(pdu, self._loop.time())
        except SmppError:
            return False
        self._out.append(data)
        if not self._batching:
            self.flush()
        return True

    def begin_batch(self) -> None:
        """Collect output until :meth:`end_batch` (one transport write for many PDUs)."""
        self._batching = True

    def end_batch(self) -> None:
        self._batching = False
        self.flush()

    def flush(self) -> None:
        transport = self.transport
        if transport is None:
            self._out.clear()
            return
        if self._out:
            transport.write(b"".join(self._out) if len(self._out) > 1 else self._out[0])
            self._out.clear()
        if self._close_after_flush:
            transport.close()

    def close(self) -> None:
        if self.transport is not None:
            self._close_after_flush = True
            self.flush()

    def abort(self) -> None:
        """Drop the link without a goodbye (a cut cable): held responses are lost with it."""
        self._held.clear()
        self._out.clear()
        if self.transport is not None:
            self.transport.abort()

    def send_raw(self, data: bytes) -> None:
        """Bytes that bypass the session (fault injection: malformed PDUs)."""
        self._out.append(data)
        if not self._batching:
            self.flush()

    def deliver(self, item: Deliver) -> bool:
        """Queue a deliver_sm; it goes out as soon as the window allows. False if the queue
        is full (an ESME that stopped acknowledging) and the receipt was dropped."""
        if item.is_receipt and len(self._queue) >= self.smsc.config.max_pending_receipts:
            return False
        self._queue.append(item)
        self._pump()
        return True

    def _pump(self) -> None:
        session = self.session
        if self._queue and not session.window_open:
            # deliver_sm the ESME never answered: send them again (at-least-once)
            for pdu in session.timeouts(self._loop.time()).expired:
                lost = self._inflight.pop(pdu.sequence, None)
                if lost is not None:
                    self._queue.append(lost)
        while self._queue and session.window_open and self.can_receive:
            item = self._queue.popleft()
            seq = session.next_sequence()
            if not self.send(Pdu.deliver_sm(sequence=seq, tlvs=item.tlvs, **item.params)):
                self._queue.appendleft(item)
                return
            self._inflight[seq] = item

    # --- input -------------------------------------------------------------------------

    def _bad_pdu(self, exc: SmppError) -> bool:
        """Answer a bad PDU; return False when the connection must stop reading."""
        self.smsc.counters.bad_pdus += 1
        if isinstance(exc, UnexpectedResponseError):
            return True
        reply = error_reply(exc)
        if reply is not None:
            if reply.command is C.GENERIC_NACK:
                self.smsc.counters.generic_nacks += 1
            if exc.fatal:  # the session is closed: the last word bypasses it
                self._out.append(encode(reply))
            else:
                self.send(reply)
        self._bad += 1
        if exc.fatal or self._bad > self.smsc.config.max_bad_pdus:
            self.close()
            return False
        return True

    def _handle(self, pdu: Pdu) -> None:
        command = pdu.command
        if command is C.SUBMIT_SM or command is C.DATA_SM:
            self._submit(pdu)
        elif command in _ACKS:
            self._acked(pdu)
        elif command is C.ENQUIRE_LINK:
            self.smsc.counters.enquire_links += 1
            self.send(pdu.response())
        elif command in _BINDS:
            self._bind(pdu)
        elif command is C.UNBIND:
            self.smsc.counters.unbinds += 1
            self.send(pdu.response())
            self._close_after_flush = True
        elif command is C.QUERY_SM:
            self._query(pdu)
        elif command in _UNSUPPORTED:
            self.send(pdu.response(_UNSUPPORTED[command]))

    def _query(self, pdu: Pdu) -> None:
        """query_sm (§4.8): the final state of a message we accepted; unknown: QUERYFAIL."""
        message_id = pdu.str_param("message_id")
        known = self.smsc.final_states.get(message_id)
        if known is None:
            self.send(pdu.response(S.ESME_RQUERYFAIL))
            return
        state, at = known
        self.smsc.counters.queries += 1
        self.send(
            pdu.response(
                S.ESME_ROK,
                (),
                message_id=message_id,
                final_date=format_absolute(at),
                message_state=int(state),
                error_code=0,
            )
        )

    def _bind(self, pdu: Pdu) -> None:
        system_id = pdu.str_param("system_id")
        status = self.smsc.check_bind(system_id, pdu.str_param("password"))
        tlvs = (Tlv.of_int(Tag.SC_INTERFACE_VERSION, 0x34),)
        self.send(pdu.response(status, tlvs, system_id=SMSC_SYSTEM_ID))
        if status == S.ESME_ROK:
            self.system_id = system_id
            if self._bind_timer is not None:
                self._bind_timer.cancel()
            if pdu.str_param("system_type") == CONTROL_SYSTEM_TYPE:
                self.control = True  # not a delivery bind: no receipts, no counters
                return
            if pdu.str_param("system_type") == MO_SYSTEM_TYPE:
                self.mo_control = True  # not a delivery bind either: it injects MOs
                return
            self.smsc.bound(self)
            return
        self.smsc.counters.bind_failures += 1
        self._failed_binds += 1
        if self._failed_binds >= MAX_FAILED_BINDS:
            self._close_after_flush = True

    def _bind_timeout(self) -> None:
        if self.session.state is State.OPEN:
            self.close()

    def _submit(self, pdu: Pdu) -> None:
        smsc = self.smsc
        if self.control:
            self.send(pdu.response(smsc.control(pdu), (), message_id=""))
            return
        if self.mo_control:
            smsc.control_submit(self, pdu)
            return
        smsc.submitted.append(pdu)
        counters = smsc.counters
        counters.submits += 1
        self.unanswered_submits += 1
        counters.max_unanswered = max(counters.max_unanswered, self.unanswered_submits)
        destination = pdu.str_param("destination_addr")
        outcome = outcome_for(destination)
        status = outcome.status
        if outcome.throttle_first and smsc.first_try(pdu):
            status = S.ESME_RTHROTTLED
        fault = smsc.faults.on_submit() if status == S.ESME_ROK else NO_FAULT
        status = fault.status if status == S.ESME_ROK else status
        receipt: Deliver | None = None
        if status != S.ESME_ROK:
            response = pdu.response(status)
            if status == S.ESME_RTHROTTLED:
                counters.throttled += 1
            else:
                counters.rejected += 1
        else:
            message_id = smsc.ids.next()
            response = pdu.response(S.ESME_ROK, (), message_id=message_id)
            counters.accepted += 1
            receipt = smsc.receipt_for(pdu, message_id, outcome, self)
            smsc.remember(message_id, outcome)
            smsc.echo(pdu)
        if fault.unknown_receipt:
            stray = smsc.receipt_for(pdu, smsc.ids.next(), DEFAULT_OUTCOME, self)
            if stray is not None:
                smsc.schedule_receipt(stray)
        if smsc.holding:
            self._held.append(_Held(response, receipt))
        elif fault.delay > 0:
            self._loop.call_later(fault.delay, self._answer_late, response, receipt)
        else:
            self._answer(response, receipt)
        if fault.malformed:
            self.send_raw(fault.malformed)

    def _answer(self, response: Pdu, receipt: Deliver | None) -> None:
        smsc = self.smsc
        plan = smsc.faults.plan
        if receipt is not None and plan.receipt_first:
            smsc.faults.counters.receipts_first += 1
            smsc.route_now(receipt)  # the receipt overtakes its submit_sm_resp
        self.send(response)
        self.unanswered_submits -= 1
        if receipt is not None and not plan.receipt_first:
            smsc.schedule_receipt(receipt)
        if receipt is not None and plan.duplicate_receipts:
            smsc.faults.counters.duplicate_receipts += 1
            smsc.schedule_receipt(replace(receipt))

    def _answer_late(self, response: Pdu, receipt: Deliver | None) -> None:
        """A response held back by the ``delay`` fault (lost if the link went meanwhile)."""
        if self.transport is not None and not self.transport.is_closing():
            self._answer(response, receipt)
            self.smsc.notify()

    def release(self) -> None:
        """Send the responses held while the simulator was holding them."""
        held, self._held = self._held, []
        self.begin_batch()
        try:
            for item in held:
                self._answer(item.response, item.receipt)
        finally:
            self.end_batch()

    def _acked(self, pdu: Pdu) -> None:
        item = self._inflight.pop(pdu.sequence, None)
        if item is not None:
            if item.done is not None and not item.done.done():
                item.done.set_result(pdu.status)
            elif item.is_receipt:
                self.smsc.counters.receipts_acked += 1
        self._pump()
