"""The session state machine: the transition table, windowing, sequence numbers and timers."""

from __future__ import annotations

import pytest

from smsrelay.smpp import (
    CONNECTION_CLOSED,
    NEED_DATA,
    CommandId,
    CommandStatus,
    FramingError,
    IllegalCommandError,
    Pdu,
    Role,
    Session,
    SessionClosedError,
    State,
    UnexpectedResponseError,
    WindowFullError,
    encode,
    error_reply,
)
from smsrelay.smpp.session import MAY_SEND

C = CommandId
S = CommandStatus
BIND_FOR = {
    State.BOUND_TX: C.BIND_TRANSMITTER,
    State.BOUND_RX: C.BIND_RECEIVER,
    State.BOUND_TRX: C.BIND_TRANSCEIVER,
}


class Pair:
    """An ESME and an SMSC session wired back to back (bytes move only when asked)."""

    def __init__(self, **kwargs: object) -> None:
        self.esme = Session(Role.ESME, **kwargs)  # type: ignore[arg-type]
        self.smsc = Session(Role.SMSC, **kwargs)  # type: ignore[arg-type]

    def esme_sends(self, pdu: Pdu, now: float = 0.0) -> Pdu:
        self.smsc.receive_data(self.esme.send(pdu, now), now)
        event = self.smsc.next_event()
        assert isinstance(event, Pdu)
        return event

    def smsc_sends(self, pdu: Pdu, now: float = 0.0) -> Pdu:
        self.esme.receive_data(self.smsc.send(pdu, now), now)
        event = self.esme.next_event()
        assert isinstance(event, Pdu)
        return event

    def bind(self, state: State = State.BOUND_TRX) -> None:
        seq = self.esme.next_sequence()
        req = self.esme_sends(Pdu.bind(BIND_FOR[state], sequence=seq, system_id="a", password="b"))
        self.smsc_sends(req.response(system_id="smsc"))


@pytest.mark.parametrize("state", list(BIND_FOR))
def test_bind_moves_both_ends_to_the_bound_state(state: State) -> None:
    """A successful bind_X_resp puts ESME and SMSC in the matching bound state."""
    pair = Pair()
    pair.bind(state)
    assert (state, state) == (pair.esme.state, pair.smsc.state)


def test_failed_bind_stays_open() -> None:
    """A bind answered with an error leaves both ends open, ready for another bind."""
    pair = Pair()
    req = pair.esme_sends(Pdu.bind(C.BIND_TRANSCEIVER, sequence=1, system_id="a", password="x"))
    pair.smsc_sends(req.response(S.ESME_RINVPASWD))
    assert (State.OPEN, State.OPEN, 0) == (pair.esme.state, pair.smsc.state, pair.esme.outstanding)


ILLEGAL = [
    (Role.ESME, State.OPEN, "send", Pdu.submit_sm(sequence=1)),
    (Role.ESME, State.BOUND_RX, "send", Pdu.submit_sm(sequence=1)),
    (Role.ESME, State.BOUND_TX, "send", Pdu.make(C.DELIVER_SM_RESP, 1)),
    (Role.ESME, State.UNBOUND, "send", Pdu.submit_sm(sequence=1)),
    (
        Role.ESME,
        State.BOUND_TRX,
        "send",
        Pdu.bind(C.BIND_TRANSMITTER, sequence=1, system_id="", password=""),
    ),
    (Role.SMSC, State.OPEN, "send", Pdu.deliver_sm(sequence=1)),
    (Role.SMSC, State.BOUND_TX, "send", Pdu.deliver_sm(sequence=1)),
    (Role.SMSC, State.BOUND_RX, "send", Pdu.make(C.SUBMIT_SM_RESP, 1)),
    (Role.SMSC, State.OPEN, "receive", Pdu.submit_sm(sequence=1)),
    (Role.SMSC, State.BOUND_RX, "receive", Pdu.submit_sm(sequence=1)),
    (Role.ESME, State.BOUND_TX, "receive", Pdu.deliver_sm(sequence=1)),
    (Role.ESME, State.OPEN, "receive", Pdu.deliver_sm(sequence=1)),
]


def _session_in(role: Role, state: State) -> Session:
    pair = Pair()
    if state in BIND_FOR:
        pair.bind(state)
    elif state is State.UNBOUND:
        pair.bind()
        pair.esme_sends(Pdu.unbind(pair.esme.next_sequence()))
    return pair.esme if role is Role.ESME else pair.smsc


@pytest.mark.parametrize(("role", "state", "direction", "pdu"), ILLEGAL)
def test_illegal_commands_raise_with_the_failed_lookup(
    role: Role, state: State, direction: str, pdu: Pdu
) -> None:
    """A command the table does not allow raises, naming (role, state, direction, command)."""
    session = _session_in(role, state)
    with pytest.raises(IllegalCommandError) as info:
        if direction == "send":
            session.send(pdu, 0.0)
        else:
            session.receive_data(encode(pdu), 0.0)
            session.next_event()
    assert (role.value, state.value, direction, pdu.command.name.lower()) == info.value.lookup


def test_every_role_and_state_has_a_table_row() -> None:
    """The table is total over (role, state); a closed session may send nothing."""
    assert {(r, s) for r in Role for s in State} == set(MAY_SEND)
    assert frozenset() == MAY_SEND[(Role.ESME, State.CLOSED)]


def test_submit_before_bind_is_answered_with_invalid_bind_status() -> None:
    """The SMSC answers a pre-bind submit_sm with submit_sm_resp ESME_RINVBNDSTS."""
    smsc = Session(Role.SMSC)
    smsc.receive_data(encode(Pdu.submit_sm(sequence=9)), 0.0)
    with pytest.raises(IllegalCommandError) as info:
        smsc.next_event()
    reply = error_reply(info.value)
    assert Pdu.make(C.SUBMIT_SM_RESP, 9, S.ESME_RINVBNDSTS) == reply
    assert reply is not None
    assert encode(reply) == smsc.send(reply, 0.0)


def test_second_bind_gets_already_bound() -> None:
    """A bind received while bound raises with ESME_RALYBND."""
    smsc = _session_in(Role.SMSC, State.BOUND_TRX)
    smsc.receive_data(
        encode(Pdu.bind(C.BIND_TRANSCEIVER, sequence=5, system_id="", password="")), 0.0
    )
    with pytest.raises(IllegalCommandError) as info:
        smsc.next_event()
    assert S.ESME_RALYBND == info.value.status


def test_unbind_then_only_responses() -> None:
    """After unbind both ends are UNBOUND; the unbind_resp still passes."""
    pair = Pair()
    pair.bind()
    req = pair.esme_sends(Pdu.unbind(pair.esme.next_sequence()))
    pair.smsc_sends(req.response())
    assert (State.UNBOUND, State.UNBOUND, 0) == (
        pair.esme.state,
        pair.smsc.state,
        pair.esme.outstanding,
    )


def test_window_limits_windowed_requests_only() -> None:
    """With window 2 a third submit_sm raises; enquire_link still goes; a response reopens it."""
    pair = Pair(window=2)
    pair.bind()
    subs = [pair.esme_sends(Pdu.submit_sm(sequence=pair.esme.next_sequence())) for _ in range(2)]
    with pytest.raises(WindowFullError):
        pair.esme.send(Pdu.submit_sm(sequence=pair.esme.next_sequence()), 0.0)
    pair.esme_sends(Pdu.enquire_link(pair.esme.next_sequence()))
    pair.smsc_sends(subs[0].response(message_id="1"))
    pair.esme_sends(Pdu.submit_sm(sequence=pair.esme.next_sequence()))
    assert (3, 3, False) == (
        pair.esme.outstanding,
        pair.smsc.peer_outstanding,
        pair.esme.window_open,
    )


def test_responses_are_matched_by_sequence() -> None:
    """A response removes its request; a second copy is unexpected."""
    pair = Pair()
    pair.bind()
    req = pair.esme_sends(Pdu.submit_sm(sequence=pair.esme.next_sequence()))
    resp = req.response(message_id="m")
    pair.smsc_sends(resp)
    pair.esme.receive_data(encode(resp), 0.0)
    with pytest.raises(UnexpectedResponseError):
        pair.esme.next_event()
    assert 0 == pair.esme.outstanding


def test_response_of_the_wrong_kind_is_unexpected() -> None:
    """An enquire_link_resp carrying a submit_sm's sequence does not answer it."""
    pair = Pair()
    pair.bind()
    req = pair.esme_sends(Pdu.submit_sm(sequence=pair.esme.next_sequence()))
    pair.esme.receive_data(encode(Pdu(C.ENQUIRE_LINK_RESP, req.sequence)), 0.0)
    with pytest.raises(UnexpectedResponseError):
        pair.esme.next_event()
    assert 1 == pair.esme.outstanding


def test_generic_nack_answers_any_request() -> None:
    """generic_nack with a request's sequence completes that request."""
    pair = Pair()
    pair.bind()
    req = pair.esme_sends(Pdu.submit_sm(sequence=pair.esme.next_sequence()))
    nack = pair.smsc_sends(Pdu.generic_nack(req.sequence, S.ESME_RINVCMDLEN))
    assert (S.ESME_RINVCMDLEN, 0) == (nack.status, pair.esme.outstanding)


def test_sequence_numbers_wrap_and_skip_outstanding() -> None:
    """Sequences run 1..0x7FFFFFFF, wrap to 1, and skip numbers still outstanding."""
    session = Session(Role.ESME, first_sequence=0x7FFFFFFE)
    session.send(Pdu.bind(C.BIND_TRANSCEIVER, sequence=1, system_id="", password=""), 0.0)
    assert [0x7FFFFFFE, 0x7FFFFFFF, 2] == [session.next_sequence() for _ in range(3)]


def test_byte_at_a_time_gives_the_same_pdus() -> None:
    """PDUs split across reads at every byte boundary come out whole and in order."""
    pdus = [
        Pdu.enquire_link(1),
        Pdu.bind(C.BIND_RECEIVER, sequence=2, system_id="abc", password="p"),
    ]
    smsc = Session(Role.SMSC)
    out: list[object] = []
    for byte in b"".join(encode(p) for p in pdus):
        smsc.receive_data(bytes([byte]), 0.0)
        while (event := smsc.next_event()) is not NEED_DATA:
            out.append(event)
    assert pdus == out


def test_eof_closes_the_session() -> None:
    """b"" means the peer closed: CONNECTION_CLOSED, then sending raises."""
    session = Session(Role.ESME)
    session.receive_data(b"", 1.0)
    assert (CONNECTION_CLOSED, State.CLOSED) == (session.next_event(), session.state)
    with pytest.raises(SessionClosedError):
        session.send(Pdu.enquire_link(1), 1.0)


def test_framing_error_is_fatal_and_sticky() -> None:
    """A bad command_length closes the session and is raised on every later call."""
    session = Session(Role.SMSC)
    session.receive_data(bytes.fromhex("00000005 00000015 00000000 00000001".replace(" ", "")), 0.0)
    for _ in range(2):
        with pytest.raises(FramingError):
            session.next_event()
    assert State.CLOSED == session.state


def test_oversized_pdu_is_refused_before_its_body_arrives() -> None:
    """With max_pdu 1024 a header announcing 2000 octets raises at once."""
    session = Session(Role.SMSC, max_pdu=1024)
    session.receive_data(bytes.fromhex("000007d0 00000004 00000000 00000001".replace(" ", "")), 0.0)
    with pytest.raises(FramingError):
        session.next_event()


def test_response_timeout_expires_requests() -> None:
    """A request unanswered for response_timeout is reported once and forgotten."""
    pair = Pair(response_timeout=5.0, enquire_link_interval=None)
    pair.bind()
    req = pair.esme_sends(Pdu.submit_sm(sequence=pair.esme.next_sequence()), now=10.0)
    early = pair.esme.timeouts(14.9)
    late = pair.esme.timeouts(15.0)
    again = pair.esme.timeouts(16.0)
    assert ((), 15.0) == (early.expired, early.next_deadline)
    assert ((req,), (), 0) == (late.expired, again.expired, pair.esme.outstanding)


def test_enquire_link_due_after_silence_and_not_while_one_is_pending() -> None:
    """enquire_link is due once nothing was received for the interval, unless one is pending."""
    pair = Pair(enquire_link_interval=30.0, response_timeout=10.0)
    pair.bind()
    before = pair.esme.timeouts(29.0)
    due = pair.esme.timeouts(30.0)
    pair.esme.send(Pdu.enquire_link(pair.esme.next_sequence()), 30.0)
    pending = pair.esme.timeouts(31.0)
    assert (False, 30.0) == (before.enquire_link_due, before.next_deadline)
    assert (True, False) == (due.enquire_link_due, pending.enquire_link_due)


def test_idle_link_is_reported() -> None:
    """Nothing received for idle_timeout marks the link idle; receiving resets it."""
    session = Session(Role.SMSC, idle_timeout=60.0, enquire_link_interval=None)
    idle = session.timeouts(60.0).idle
    session.receive_data(encode(Pdu.enquire_link(1)), 61.0)
    assert (True, False) == (idle, session.timeouts(100.0).idle)


def test_close_returns_unanswered_requests() -> None:
    """close() hands back our requests that never got a response (for resubmission)."""
    pair = Pair()
    pair.bind()
    reqs = [pair.esme_sends(Pdu.submit_sm(sequence=pair.esme.next_sequence())) for _ in range(3)]
    assert (tuple(reqs), State.CLOSED) == (pair.esme.close(), pair.esme.state)
