"""Hypothesis: the hot-path layouts (``smpp.layouts``, the exact-receipt pattern) give the very
results of the generic table walk and key scan: same bytes, same PDUs, same errors."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from smsrelay.smpp import CommandId, MessageState, Pdu, SmppError, Tlv, format_receipt_text
from smsrelay.smpp.codec import decode_body, decode_body_generic, encode, encode_generic
from smsrelay.smpp.layouts import FAST_DECODERS, FAST_ENCODERS
from smsrelay.smpp.pdu_tables import BODIES, Field, FieldKind, ParamValue
from smsrelay.smpp.receipts import parse_receipt_text, parse_receipt_text_generic

FAST = sorted(FAST_ENCODERS)
assert sorted(FAST_DECODERS) == FAST


def _value(f: Field) -> st.SearchStrategy[ParamValue]:
    if f.kind is FieldKind.CSTRING:
        return st.text(
            alphabet=st.characters(min_codepoint=1, max_codepoint=255), max_size=f.max - 1
        )
    if f.kind is FieldKind.SM:
        return st.binary(max_size=f.max)
    top = {FieldKind.INT1: 0xFF, FieldKind.INT2: 0xFFFF, FieldKind.INT4: 0xFFFFFFFF}[f.kind]
    return st.integers(0, top)


tlvs = st.lists(st.builds(Tlv, st.integers(0, 0xFFFF), st.binary(max_size=40)), max_size=3)


@st.composite
def fast_pdus(draw: st.DrawFn) -> Pdu:
    command = CommandId(draw(st.sampled_from(FAST)))
    params = {f.name: draw(_value(f)) for f in BODIES[command]}
    return Pdu(
        command,
        draw(st.integers(0, 0xFFFFFFFF)),
        draw(st.integers(0, 0xFFFFFFFF)),
        params,
        tuple(draw(tlvs)),
    )


def _outcome(fn: object, *args: object) -> object:
    try:
        return fn(*args)  # type: ignore[operator]
    except SmppError as exc:
        return (type(exc), str(exc), exc.status, exc.command_id, exc.sequence)


@given(fast_pdus())
def test_fast_encoders_give_the_generic_bytes(pdu: Pdu) -> None:
    assert encode(pdu) == encode_generic(pdu)


@given(fast_pdus())
def test_fast_decoders_give_the_generic_pdu(pdu: Pdu) -> None:
    data = encode_generic(pdu)
    body = data[16:]
    assert decode_body(pdu.command, pdu.status, pdu.sequence, body) == pdu
    assert decode_body_generic(pdu.command, pdu.status, pdu.sequence, body) == pdu


@st.composite
def damaged_bodies(draw: st.DrawFn) -> tuple[int, bytes]:
    """A regular body, then cut, lengthened or with one octet changed (often a NUL)."""
    pdu = draw(fast_pdus())
    body = bytearray(encode_generic(pdu)[16:])
    how = draw(st.sampled_from(["cut", "flip", "append", "none"]))
    if how == "cut" and body:
        del body[draw(st.integers(0, len(body) - 1)) :]
    elif how == "flip" and body:
        body[draw(st.integers(0, len(body) - 1))] = draw(st.sampled_from([0, 1, 0xFF, 0x41]))
    elif how == "append":
        body += draw(st.binary(max_size=8))
    return int(pdu.command), bytes(body)


@settings(max_examples=300)
@given(damaged_bodies())
def test_damaged_bodies_decode_or_fail_alike(case: tuple[int, bytes]) -> None:
    command, body = case
    assert _outcome(decode_body, command, 0, 9, body) == _outcome(
        decode_body_generic, command, 0, 9, body
    )


@given(st.sampled_from(FAST), st.binary(max_size=300))
def test_any_body_decodes_or_fails_alike(command: int, body: bytes) -> None:
    assert _outcome(decode_body, command, 0, 9, body) == _outcome(
        decode_body_generic, command, 0, 9, body
    )


# --- receipt text -------------------------------------------------------------------------------

latin1 = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=40)
token = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=70)
digits = st.text(alphabet="0123456789", max_size=14)


@st.composite
def appendix_b_texts(draw: st.DrawFn) -> str:
    """The exact layout with arbitrary values, sometimes bent (a space, a key's case)."""
    values = [draw(token), draw(token), draw(token), draw(digits), draw(digits)]
    values += [draw(token), draw(token), draw(latin1)]
    text = "id:{} sub:{} dlvrd:{} submit date:{} done date:{} stat:{} err:{} text:{}".format(
        *values
    )
    bend = draw(st.sampled_from(["none", "space", "case", "cut"]))
    if bend == "space":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([" ", "\t", "\xa0", "\n"])) + text[at:]
    elif bend == "case":
        text = text.replace(draw(st.sampled_from(["id:", "stat:", "text:", "sub:"])), "ID:", 1)
    elif bend == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    return text


@settings(max_examples=300)
@given(appendix_b_texts())
def test_exact_receipt_pattern_gives_the_key_scan_result(text: str) -> None:
    assert parse_receipt_text(text) == parse_receipt_text_generic(text)
    raw = text.encode("latin-1")
    assert parse_receipt_text(raw) == parse_receipt_text_generic(raw)


@given(st.text(max_size=300))
def test_any_receipt_text_parses_alike(text: str) -> None:
    assert parse_receipt_text(text) == parse_receipt_text_generic(text)


@given(
    token.filter(bool),
    st.sampled_from(list(MessageState)),
    st.integers(0, 999),
    latin1,
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
)
def test_formatted_receipts_parse_alike(
    ident: str, state: MessageState, err: int, body: str, when: datetime
) -> None:
    when = when.replace(tzinfo=UTC)
    text = format_receipt_text(ident, state, submitted=when, done=when, err=err, text=body)
    fast = parse_receipt_text(text)
    assert fast == parse_receipt_text_generic(text)
    assert fast.id == ident[:65]
    assert fast.submit_date == when.replace(second=0, microsecond=0)
