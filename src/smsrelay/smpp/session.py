"""The SMPP 3.4 session (§2.2-2.3) as a sans-I/O state machine, h11 style.

    session = Session(Role.ESME)
    out = session.send(Pdu.bind(...), now)        # bytes for the caller's socket
    session.receive_data(chunk, now)              # bytes from the socket (b"" = EOF)
    event = session.next_event()                  # a Pdu, NEED_DATA or CONNECTION_CLOSED
    due = session.timeouts(now)                     # expired requests, enquire_link due, idle

What each side may send in each state is the table :data:`MAY_SEND`; what a side may receive is
what the *other* role may send. A PDU that the table does not allow raises
:class:`IllegalCommandError` carrying the lookup that failed and the status to answer with.
Which accepted PDUs move the state is :data:`STATE_AFTER`. One rule sits outside the table: a
response carrying an error status may answer any request while the connection is open (so a
submit_sm received before bind can get submit_sm_resp ESME_RINVBNDSTS).
``python -m smsrelay.smpp.session`` prints the diagram (Graphviz dot) drawn from these tables.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from .codec import DEFAULT_MAX_PDU, HEADER_SIZE, decode_body, encode, parse_header
from .constants import MAX_SEQUENCE, CommandId, CommandStatus
from .errors import (
    IllegalCommandError,
    PduError,
    SessionClosedError,
    SessionError,
    SmppError,
    UnexpectedResponseError,
    WindowFullError,
)
from .pdu import Pdu
from .pdu_tables import RESPONSE_OF

__all__ = [
    "CONNECTION_CLOSED",
    "MAY_SEND",
    "NEED_DATA",
    "STATE_AFTER",
    "WINDOWED",
    "Direction",
    "Event",
    "Role",
    "Sentinel",
    "Session",
    "State",
    "Timeouts",
]

C = CommandId


class Role(enum.Enum):
    ESME = "esme"  # the client (our carrier connector)
    SMSC = "smsc"  # the server (our simulator)

    @property
    def peer(self) -> Role:
        return Role.SMSC if self is Role.ESME else Role.ESME


class State(enum.Enum):
    OPEN = "open"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBOUND = "unbound"  # unbind sent or received: only responses may follow
    CLOSED = "closed"


class Direction(enum.Enum):
    SEND = "send"
    RECEIVE = "receive"


class Sentinel(enum.Enum):
    NEED_DATA = "need_data"
    CONNECTION_CLOSED = "connection_closed"


NEED_DATA = Sentinel.NEED_DATA
CONNECTION_CLOSED = Sentinel.CONNECTION_CLOSED
Event = Pdu | Sentinel

_CONTROL = frozenset({C.ENQUIRE_LINK, C.ENQUIRE_LINK_RESP, C.UNBIND, C.UNBIND_RESP, C.GENERIC_NACK})
_OPEN_CONTROL = frozenset({C.ENQUIRE_LINK, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK})
_ESME_TX = frozenset({C.SUBMIT_SM, C.DATA_SM, C.QUERY_SM, C.CANCEL_SM, C.REPLACE_SM})
_ESME_RX = frozenset({C.DELIVER_SM_RESP, C.DATA_SM_RESP})
_SMSC_TX = frozenset(RESPONSE_OF[c] for c in _ESME_TX)
_SMSC_RX = frozenset({C.DELIVER_SM, C.DATA_SM, C.ALERT_NOTIFICATION})

#: (role, state) -> the commands that role may send in that state (§2.3, table 2-1).
MAY_SEND: dict[tuple[Role, State], frozenset[CommandId]] = {
    (Role.ESME, State.OPEN): _OPEN_CONTROL
    | {C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER},
    (Role.ESME, State.BOUND_TX): _CONTROL | _ESME_TX,
    (Role.ESME, State.BOUND_RX): _CONTROL | _ESME_RX,
    (Role.ESME, State.BOUND_TRX): _CONTROL | _ESME_TX | _ESME_RX,
    (Role.ESME, State.UNBOUND): _ESME_RX | {C.UNBIND_RESP, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK},
    (Role.ESME, State.CLOSED): frozenset(),
    (Role.SMSC, State.OPEN): _OPEN_CONTROL
    | {C.BIND_TRANSMITTER_RESP, C.BIND_RECEIVER_RESP, C.BIND_TRANSCEIVER_RESP, C.OUTBIND},
    (Role.SMSC, State.BOUND_TX): _CONTROL | _SMSC_TX,
    (Role.SMSC, State.BOUND_RX): _CONTROL | _SMSC_RX,
    (Role.SMSC, State.BOUND_TRX): _CONTROL | _SMSC_TX | _SMSC_RX,
    (Role.SMSC, State.UNBOUND): _SMSC_TX | {C.UNBIND_RESP, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK},
    (Role.SMSC, State.CLOSED): frozenset(),
}

#: command -> the state both ends enter once that PDU passes with status ESME_ROK.
STATE_AFTER: dict[CommandId, State] = {
    C.BIND_TRANSMITTER_RESP: State.BOUND_TX,
    C.BIND_RECEIVER_RESP: State.BOUND_RX,
    C.BIND_TRANSCEIVER_RESP: State.BOUND_TRX,
    C.UNBIND: State.UNBOUND,
    C.UNBIND_RESP: State.UNBOUND,
}

#: requests that count against the window (control PDUs must always be sendable).
WINDOWED = frozenset({C.SUBMIT_SM, C.DELIVER_SM, C.DATA_SM, C.QUERY_SM, C.CANCEL_SM, C.REPLACE_SM})
_BINDS = frozenset({C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER})
_BOUND = frozenset({State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX})


@dataclass(frozen=True, slots=True)
class Timeouts:
    expired: tuple[Pdu, ...]  # our requests unanswered after response_timeout (now forgotten)
    enquire_link_due: bool  # bound, nothing received for enquire_link_interval, none pending
    idle: bool  # nothing received for idle_timeout: treat the link as dead
    next_deadline: float | None  # when calling timeouts() again can next report something


class Session:
    """One SMPP connection's protocol state; owns no socket and reads no clock."""

    def __init__(
        self,
        role: Role,
        *,
        window: int = 10,
        max_pdu: int = DEFAULT_MAX_PDU,
        response_timeout: float = 10.0,
        enquire_link_interval: float | None = 30.0,
        idle_timeout: float | None = None,
        now: float = 0.0,
        first_sequence: int = 1,
    ) -> None:
        if window < 1 or max_pdu < HEADER_SIZE or response_timeout <= 0:
            raise ValueError("window >= 1, max_pdu >= 16 and response_timeout > 0 are required")
        if not 1 <= first_sequence <= MAX_SEQUENCE:
            raise ValueError("first_sequence must be in 1..0x7FFFFFFF")
        self.role = role
        self.window = window
        self.max_pdu = max_pdu
        self.response_timeout = response_timeout
        self.enquire_link_interval = enquire_link_interval
        self.idle_timeout = idle_timeout
        self._state = State.OPEN
        self._buffer = bytearray()
        self._eof = False
        self._fatal: SmppError | None = None
        self._outstanding: dict[int, tuple[Pdu, float]] = {}
        self._windowed = 0
        self._peer_pending: set[int] = set()
        self._next_seq = first_sequence
        self._last_received = now

    # --- state ---------------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def bound(self) -> bool:
        return self._state in _BOUND

    @property
    def outstanding(self) -> int:
        """Our requests still waiting for their response."""
        return len(self._outstanding)

    @property
    def window_open(self) -> bool:
        return self._windowed < self.window

    @property
    def peer_outstanding(self) -> int:
        """The peer's requests we have received and not answered yet."""
        return len(self._peer_pending)

    def request(self, sequence: int) -> Pdu | None:
        """Our outstanding request with this sequence number, if any."""
        entry = self._outstanding.get(sequence)
        return None if entry is None else entry[0]

    def next_sequence(self) -> int:
        """Allocate a sequence number (1..0x7FFFFFFF, wrapping, skipping outstanding ones)."""
        while True:
            seq = self._next_seq
            self._next_seq = 1 if seq >= MAX_SEQUENCE else seq + 1
            if seq not in self._outstanding:
                return seq

    def _check(self, direction: Direction, pdu: Pdu) -> None:
        sender = self.role if direction is Direction.SEND else self.role.peer
        if pdu.command in MAY_SEND[(sender, self._state)]:
            return
        if (
            pdu.is_response
            and pdu.status != CommandStatus.ESME_ROK
            and self._state is not State.CLOSED
        ):
            return  # an error response may answer any request while the connection is open
        status = CommandStatus.ESME_RINVBNDSTS
        if pdu.command in _BINDS and self._state in _BOUND:
            status = CommandStatus.ESME_RALYBND
        raise IllegalCommandError(
            (self.role.value, self._state.value, direction.value, pdu.command.name.lower()),
            status,
            command_id=pdu.command,
            sequence=pdu.sequence,
        )

    def _advance(self, pdu: Pdu) -> None:
        target = STATE_AFTER.get(pdu.command)
        if target is not None and pdu.status == CommandStatus.ESME_ROK:
            self._state = target

    # --- sending -------------------------------------------------------------------------

    def send(self, pdu: Pdu, now: float) -> bytes:
        """Check ``pdu`` against the state table, record it, and return its bytes."""
        if self._state is State.CLOSED:
            raise SessionClosedError("session is closed", CommandStatus.ESME_RSYSERR)
        self._check(Direction.SEND, pdu)
        data = encode(pdu)
        if len(data) > self.max_pdu:
            raise PduError(
                f"PDU of {len(data)} octets exceeds {self.max_pdu}", CommandStatus.ESME_RINVMSGLEN
            )
        if pdu.is_response:
            self._peer_pending.discard(pdu.sequence)
        else:
            if pdu.sequence in self._outstanding:
                raise SessionError(f"sequence {pdu.sequence} is already outstanding")
            windowed = pdu.command in WINDOWED
            if windowed and self._windowed >= self.window:
                raise WindowFullError(
                    f"window of {self.window} is full", CommandStatus.ESME_RMSGQFUL
                )
            self._outstanding[pdu.sequence] = (pdu, now)
            self._windowed += windowed
        self._advance(pdu)
        return data

    # --- receiving -----------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes read from the connection; ``b""`` means the peer closed it."""
        if self._eof or self._state is State.CLOSED:
            return
        if data:
            self._buffer += data
            self._last_received = now
        else:
            self._eof = True

    def next_event(self) -> Event:
        """The next complete PDU, ``NEED_DATA`` or ``CONNECTION_CLOSED``.

        Raises a non-fatal :class:`SmppError` for a PDU that was consumed but is bad (answer it
        with :func:`~smsrelay.smpp.codec.error_reply` and call again); a fatal one (framing
        lost) closes the session and is raised again on every later call.
        """
        if self._fatal is not None:
            raise self._fatal
        buf = self._buffer
        if len(buf) < HEADER_SIZE:
            return self._starved()
        try:
            length, command_id, status, sequence = parse_header(buf, self.max_pdu)
        except SmppError as exc:
            self._fatal = exc
            self._state = State.CLOSED
            raise
        if len(buf) < length:
            return self._starved()
        body = bytes(buf[HEADER_SIZE:length])
        del buf[:length]
        pdu = decode_body(command_id, status, sequence, body)
        self._check(Direction.RECEIVE, pdu)
        if pdu.is_response:
            self._match(pdu)
        else:
            self._peer_pending.add(pdu.sequence)
        self._advance(pdu)
        return pdu

    def _starved(self) -> Sentinel:
        if self._eof or self._state is State.CLOSED:
            self._state = State.CLOSED
            return CONNECTION_CLOSED
        return NEED_DATA

    def _match(self, resp: Pdu) -> None:
        entry = self._outstanding.get(resp.sequence)
        if entry is None:
            raise UnexpectedResponseError(
                f"{resp.command.name.lower()} seq {resp.sequence} matches no request",
                CommandStatus.ESME_RSYSERR,
                command_id=resp.command,
                sequence=resp.sequence,
            )
        request = entry[0]
        if resp.command is not C.GENERIC_NACK and RESPONSE_OF[request.command] is not resp.command:
            raise UnexpectedResponseError(
                f"{resp.command.name.lower()} answers {request.command.name.lower()}",
                CommandStatus.ESME_RSYSERR,
                command_id=resp.command,
                sequence=resp.sequence,
            )
        del self._outstanding[resp.sequence]
        self._windowed -= request.command in WINDOWED

    # --- time ----------------------------------------------------------------------------

    def timeouts(self, now: float) -> Timeouts:
        """What the clock says: requests that timed out (removed), enquire_link due, idle."""
        expired: list[Pdu] = []
        deadline: float | None = None
        for seq, (pdu, sent_at) in list(self._outstanding.items()):
            due = sent_at + self.response_timeout
            if due <= now:
                expired.append(pdu)
                del self._outstanding[seq]
                self._windowed -= pdu.command in WINDOWED
            elif deadline is None or due < deadline:
                deadline = due
        enquire_due = False
        if self.enquire_link_interval is not None and self.bound:
            due = self._last_received + self.enquire_link_interval
            pending = any(p.command is C.ENQUIRE_LINK for p, _ in self._outstanding.values())
            enquire_due = due <= now and not pending
            if not enquire_due and not pending:
                deadline = due if deadline is None else min(deadline, due)
        idle = False
        if self.idle_timeout is not None:
            due = self._last_received + self.idle_timeout
            idle = due <= now
            if not idle:
                deadline = due if deadline is None else min(deadline, due)
        return Timeouts(tuple(expired), enquire_due, idle, deadline)

    def close(self) -> tuple[Pdu, ...]:
        """Close the session; return our requests that never got an answer."""
        pending = tuple(pdu for pdu, _ in self._outstanding.values())
        self._outstanding.clear()
        self._windowed = 0
        self._peer_pending.clear()
        self._buffer.clear()
        self._state = State.CLOSED
        return pending


def to_dot(roles: Iterable[Role] = (Role.ESME,)) -> str:
    """Graphviz dot of the session: states, and for each state what each role may send."""
    lines = ["digraph smpp_session {"]
    for role in roles:
        for (who, state), commands in MAY_SEND.items():
            if who is not role:
                continue
            for command in sorted(commands, key=lambda c: c.name):
                target = STATE_AFTER.get(command, state).value
                label = f"{role.value}: {command.name.lower()}"
                lines.append(f'  "{state.value}" -> "{target}" [label="{label}"];')
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(to_dot((Role.ESME, Role.SMSC)))
