"""Hypothesis: encode/decode round trips, and arbitrary bytes give PDUs or our errors only."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from smsrelay.smpp import NEED_DATA, CommandId, Pdu, Role, Session, SmppError, Tlv, decode, encode
from smsrelay.smpp.pdu_tables import BODIES, Field, FieldKind, ParamValue
from smsrelay.smpp.receipts import id_spellings, parse_receipt_text
from smsrelay.smpp.session import CONNECTION_CLOSED


def _value(f: Field) -> st.SearchStrategy[ParamValue]:
    if f.kind is FieldKind.CSTRING:
        return st.text(
            alphabet=st.characters(min_codepoint=1, max_codepoint=255), max_size=f.max - 1
        )
    if f.kind is FieldKind.SM:
        return st.binary(max_size=f.max)
    top = {FieldKind.INT1: 0xFF, FieldKind.INT2: 0xFFFF, FieldKind.INT4: 0xFFFFFFFF}[f.kind]
    return st.integers(0, top)


tlvs = st.lists(st.builds(Tlv, st.integers(0, 0xFFFF), st.binary(max_size=40)), max_size=4)


@st.composite
def pdus(draw: st.DrawFn) -> Pdu:
    command = draw(st.sampled_from(list(CommandId)))
    params = {f.name: draw(_value(f)) for f in BODIES[command]}
    return Pdu(
        command,
        draw(st.integers(0, 0xFFFFFFFF)),
        draw(st.integers(0, 0xFFFFFFFF)),
        params,
        tuple(draw(tlvs)),
    )


@given(pdus())
def test_decode_of_encode_is_identity(pdu: Pdu) -> None:
    """decode(encode(pdu)) == pdu for every command and every valid field value."""
    assert pdu == decode(encode(pdu))


def _drain(session: Session, out: list[object]) -> bool:
    """Pull events until NEED_DATA; False once the session is closed or fatally broken."""
    while True:
        try:
            event = session.next_event()
        except SmppError as exc:
            if exc.fatal:
                return False
            continue
        if event is NEED_DATA:
            return True
        if event is CONNECTION_CLOSED:
            return False
        out.append(event)


def _feed(role: Role, data: bytes, one_at_a_time: bool) -> list[object]:
    session = Session(role, max_pdu=4096)
    out: list[object] = []
    chunks = [data[i : i + 1] for i in range(len(data))] if one_at_a_time else [data]
    for chunk in [*chunks, b""]:
        session.receive_data(chunk, 0.0)
        if not _drain(session, out):
            break
    return out


@st.composite
def framed(draw: st.DrawFn) -> bytes:
    """Plausible streams: valid headers (known or unknown commands) with random bodies."""
    out = b""
    for _ in range(draw(st.integers(1, 4))):
        body = draw(st.binary(max_size=120))
        command = draw(st.one_of(st.sampled_from(list(CommandId)), st.integers(0, 0xFFFFFFFF)))
        out += struct.pack(">IIII", 16 + len(body), command, 0, draw(st.integers(0, 9))) + body
    return out


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=300), framed()), st.booleans(), st.sampled_from(list(Role)))
def test_any_bytes_give_pdus_or_our_errors(data: bytes, one_at_a_time: bool, role: Role) -> None:
    """Whole or byte by byte, any input yields PDUs or SmppError, never another exception."""
    events = _feed(role, data, one_at_a_time)
    assert all(isinstance(e, Pdu) for e in events)


@given(st.one_of(st.binary(max_size=200), framed()), st.sampled_from(list(Role)))
def test_chunking_does_not_change_the_result(data: bytes, role: Role) -> None:
    """The PDUs decoded do not depend on how the bytes were split."""
    assert _feed(role, data, False) == _feed(role, data, True)


@given(st.text(max_size=300))
def test_receipt_parser_never_raises(text: str) -> None:
    """Any text parses to a ReceiptText (fields absent rather than an exception)."""
    parse_receipt_text(text)


@given(st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=20))
def test_id_spellings_start_with_the_id_and_are_unique(carrier_id: str) -> None:
    """The id as given comes first; no spelling repeats."""
    spellings = id_spellings(carrier_id)
    assert (carrier_id, len(spellings)) == (spellings[0], len(set(spellings)))
