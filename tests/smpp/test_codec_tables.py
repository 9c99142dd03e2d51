"""Byte tables per PDU and TLV (SMPP 3.4 chapter 4), and the decoder's errors for bad input."""

from __future__ import annotations

import pytest

from smsrelay.smpp import (
    CommandId,
    CommandStatus,
    FieldError,
    FramingError,
    Pdu,
    Tag,
    Tlv,
    UnknownCommandError,
    decode,
    encode,
    error_reply,
    parse_header,
)
from smsrelay.smpp.errors import SmppError
from smsrelay.smpp.tlv import decode_tlvs, encode_tlvs, tlv_int, tlv_str

C = CommandId
S = CommandStatus


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# (pdu, its wire form), written out by hand from the spec's field tables.
BYTE_TABLE = [
    (Pdu.enquire_link(1), "00000010 00000015 00000000 00000001"),
    (Pdu(C.ENQUIRE_LINK_RESP, 1), "00000010 80000015 00000000 00000001"),
    (Pdu.unbind(2), "00000010 00000006 00000000 00000002"),
    (Pdu(C.UNBIND_RESP, 2), "00000010 80000006 00000000 00000002"),
    (Pdu.generic_nack(5, S.ESME_RINVCMDID), "00000010 80000000 00000003 00000005"),
    (
        Pdu.bind(C.BIND_TRANSMITTER, sequence=1, system_id="test", password="pw"),
        "0000001d 00000002 00000000 00000001 7465737400 707700 00 34 00 00 00",
    ),
    (
        Pdu.bind(
            C.BIND_RECEIVER,
            sequence=2,
            system_id="a",
            password="b",
            system_type="VMA",
            addr_ton=1,
            addr_npi=1,
            address_range="7",
        ),
        "0000001d 00000001 00000000 00000002 6100 6200 564d4100 34 01 01 3700",
    ),
    (
        Pdu.bind(C.BIND_TRANSCEIVER, sequence=3, system_id="", password=""),
        "00000017 00000009 00000000 00000003 00 00 00 34 00 00 00",
    ),
    (
        Pdu.make(C.BIND_TRANSCEIVER_RESP, 1, system_id="SMSC"),
        "00000015 80000009 00000000 00000001 534d534300",
    ),
    (
        Pdu.make(
            C.BIND_TRANSMITTER_RESP,
            1,
            S.ESME_ROK,
            [Tlv.of_int(Tag.SC_INTERFACE_VERSION, 0x34)],
            system_id="X",
        ),
        "00000017 80000002 00000000 00000001 5800 0210 0001 34",
    ),
    (
        Pdu.submit_sm(
            sequence=7,
            source_addr="ACME",
            destination_addr="79990001122",
            short_message=b"hi",
            registered_delivery=1,
        ),
        "00000032 00000004 00000000 00000007"
        " 00 00 00 41434d4500 00 00 373939393030303131323200"
        " 00 00 00 00 00 01 00 00 00 02 6869",
    ),
    (
        Pdu.submit_sm(
            sequence=8,
            source_addr_ton=5,
            source_addr_npi=0,
            source_addr="Shop",
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr="7999",
            esm_class=0x40,
            data_coding=8,
            validity_period="260101120000000+",
            short_message=b"\x05\x00\x03\x2a\x02\x01",
            tlvs=[Tlv.of_int(Tag.USER_MESSAGE_REFERENCE, 513)],
        ),
        "00000045 00000004 00000000 00000008"
        " 00 05 00 53686f7000 01 01 3739393900 40 00 00 00"
        " 323630313031313230303030303030 2b00 00 00 08 00 06 0500032a0201"
        " 0204 0002 0201",
    ),
    (
        Pdu.make(C.SUBMIT_SM_RESP, 7, message_id="5F2A"),
        "00000015 80000004 00000000 00000007 3546324100",
    ),
    (
        Pdu.deliver_sm(
            sequence=9,
            source_addr="7999",
            destination_addr="ACME",
            esm_class=0x04,
            short_message=b"id:ab stat:DELIVRD",
            tlvs=[Tlv.of_str(Tag.RECEIPTED_MESSAGE_ID, "ab"), Tlv.of_int(Tag.MESSAGE_STATE, 2)],
        ),
        "00000047 00000005 00000000 00000009"
        " 00 00 00 3739393900 00 00 41434d4500 04 00 00 00 00 00 00 00 00 12"
        " 69643a616220737461743a44454c49565244"
        " 001e 0003 616200 0427 0001 02",
    ),
    (Pdu.make(C.DELIVER_SM_RESP, 9), "00000011 80000005 00000000 00000009 00"),
    (
        Pdu.data_sm(
            sequence=4,
            source_addr="1",
            destination_addr="2",
            data_coding=8,
            tlvs=[Tlv(Tag.MESSAGE_PAYLOAD, b"\x00A")],
        ),
        "00000022 00000103 00000000 00000004 00 00 00 3100 00 00 3200 00 00 08 0424 0002 0041",
    ),
    (Pdu.make(C.DATA_SM_RESP, 4, message_id="x"), "00000012 80000103 00000000 00000004 7800"),
    (
        Pdu.make(C.OUTBIND, 1, system_id="s", password="p"),
        "00000014 0000000b 00000000 00000001 7300 7000",
    ),
    (
        Pdu.make(C.QUERY_SM_RESP, 3, message_id="1", final_date="", message_state=2, error_code=0),
        "00000015 80000003 00000000 00000003 3100 00 02 00",
    ),
]


@pytest.mark.parametrize(
    ("pdu", "wire"), BYTE_TABLE, ids=lambda v: getattr(v, "command", None) and v.command.name
)
def test_pdu_encodes_to_the_spec_bytes(pdu: Pdu, wire: str) -> None:
    """Each PDU encodes to exactly the bytes the spec's field table prescribes."""
    assert h(wire) == encode(pdu)


@pytest.mark.parametrize(
    ("pdu", "wire"), BYTE_TABLE, ids=lambda v: getattr(v, "command", None) and v.command.name
)
def test_spec_bytes_decode_to_the_pdu(pdu: Pdu, wire: str) -> None:
    """The spec bytes decode back to an equal PDU (defaults filled in)."""
    assert pdu == decode(h(wire))


def test_error_response_without_body_decodes_with_defaults() -> None:
    """§4.4.2: an error submit_sm_resp may omit its body; message_id reads as empty."""
    pdu = decode(h("00000010 80000004 0000000b 00000007"))
    assert (C.SUBMIT_SM_RESP, S.ESME_RINVDSTADR, "") == (pdu.command, pdu.status, pdu["message_id"])


def test_bind_resp_without_body_decodes() -> None:
    """A bind_transceiver_resp with no system_id (seen on real SMSCs) still decodes."""
    pdu = decode(h("00000010 80000009 0000000e 00000001"))
    assert ("", S.ESME_RINVPASWD) == (pdu["system_id"], pdu.status)


TLV_TABLE = [
    (Tlv.of_int(Tag.SAR_MSG_REF_NUM, 42), "020c 0002 002a"),
    (Tlv.of_int(Tag.SAR_TOTAL_SEGMENTS, 3), "020e 0001 03"),
    (Tlv.of_int(Tag.SAR_SEGMENT_SEQNUM, 1), "020f 0001 01"),
    (Tlv(Tag.MESSAGE_PAYLOAD, b"hello"), "0424 0005 68656c6c6f"),
    (Tlv.of_str(Tag.RECEIPTED_MESSAGE_ID, "5F2A"), "001e 0005 3546324100"),
    (Tlv.of_int(Tag.MESSAGE_STATE, 5), "0427 0001 05"),
    (Tlv(Tag.NETWORK_ERROR_CODE, b"\x03\x00\x01"), "0423 0003 030001"),
    (Tlv.of_int(Tag.SOURCE_PORT, 9200), "020a 0002 23f0"),
    (Tlv.of_int(Tag.DESTINATION_PORT, 2948), "020b 0002 0b84"),
    (Tlv.of_int(Tag.USER_MESSAGE_REFERENCE, 7), "0204 0002 0007"),
    (Tlv.of_int(Tag.SC_INTERFACE_VERSION, 0x34), "0210 0001 34"),
    (Tlv(0x1401, b""), "1401 0000"),
]


@pytest.mark.parametrize(("tlv", "wire"), TLV_TABLE, ids=lambda v: repr(v))
def test_tlv_table(tlv: Tlv, wire: str) -> None:
    """Each TLV encodes as tag, length, value and decodes back to itself."""
    assert h(wire) == encode_tlvs([tlv])
    assert (tlv,) == decode_tlvs(h(wire), 0)


def test_typed_tlv_access() -> None:
    """Known tags give typed values; a receipted id without its NUL is tolerated."""
    assert 42 == tlv_int(Tlv.of_int(Tag.SAR_MSG_REF_NUM, 42))
    assert "ab" == tlv_str(Tlv(Tag.RECEIPTED_MESSAGE_ID, b"ab"))


def test_tlv_with_wrong_length_for_its_tag_is_refused() -> None:
    """A message_state TLV of two octets is ESME_RINVPARLEN when read."""
    with pytest.raises(FieldError) as info:
        tlv_int(Tlv(Tag.MESSAGE_STATE, b"\x00\x02"))
    assert S.ESME_RINVPARLEN == info.value.status


SUBMIT_HEAD = "00000004 00000000 0000002a"

DECODE_ERRORS = [
    ("length below 16", "0000000f 00000015 00000000 00000001", FramingError, S.ESME_RINVCMDLEN),
    ("length above max", "00011171 00000004 00000000 00000001", FramingError, S.ESME_RINVCMDLEN),
    (
        "unknown command",
        "00000010 00000099 00000000 00000003",
        UnknownCommandError,
        S.ESME_RINVCMDID,
    ),
    (
        "destination without NUL",
        "00000041 "
        + SUBMIT_HEAD
        + " 00 00 00 4100 00 00 "
        + "31" * 32
        + " 00 00 00 00 00 00 00 00 00 00",
        FieldError,
        S.ESME_RINVDSTADR,
    ),
    (
        "sm_length beyond the body",
        "00000025 " + SUBMIT_HEAD + " 00 00 00 4100 00 00 4200 00 00 00 00 00 00 00 00 00 c8 6869",
        FieldError,
        S.ESME_RINVMSGLEN,
    ),
    (
        "system_id over 15 characters",
        "00000028 00000002 00000000 00000001 " + "41" * 17 + "00 00 00 34 00 00 00",
        FieldError,
        S.ESME_RINVSYSID,
    ),
    (
        "password over 8 characters",
        "0000001d 00000002 00000000 00000001 00 " + "41" * 9 + "00 00 34",
        FieldError,
        S.ESME_RINVPASWD,
    ),
    (
        "request body ends early",
        "00000013 00000002 00000000 00000001 410000",
        FieldError,
        S.ESME_RINVCMDLEN,
    ),
    (
        "truncated TLV",
        "00000013 00000015 00000000 00000001 042400",
        FieldError,
        S.ESME_RINVOPTPARSTREAM,
    ),
    (
        "TLV overrun",
        "00000016 00000015 00000000 00000001 0424 0009 4142",
        FieldError,
        S.ESME_RINVOPTPARSTREAM,
    ),
]


@pytest.mark.parametrize(
    ("case", "wire", "error", "status"), DECODE_ERRORS, ids=[c[0] for c in DECODE_ERRORS]
)
def test_bad_pdus_raise_our_errors_with_the_status_to_answer(
    case: str, wire: str, error: type[SmppError], status: S
) -> None:
    """Malformed input raises our error type carrying the spec's command_status."""
    with pytest.raises(error) as info:
        decode(h(wire), max_pdu=0x11170)
    assert status == info.value.status


def test_length_is_checked_from_the_header_alone() -> None:
    """A too-large command_length is refused before any body has arrived."""
    with pytest.raises(FramingError):
        parse_header(h("00100000 00000004 00000000 00000001"))


def test_field_errors_carry_the_header() -> None:
    """A field error knows the command and sequence of the PDU it came from."""
    with pytest.raises(FieldError) as info:
        decode(h("00000013 00000002 00000000 0000002a 410000"))
    assert (C.BIND_TRANSMITTER, 42) == (info.value.command_id, info.value.sequence)


ERROR_REPLIES = [
    (
        FieldError("x", S.ESME_RINVDSTADR, command_id=C.SUBMIT_SM, sequence=3),
        Pdu.make(C.SUBMIT_SM_RESP, 3, S.ESME_RINVDSTADR),
    ),
    (
        UnknownCommandError("x", S.ESME_RINVCMDID, command_id=0x99, sequence=4),
        Pdu.generic_nack(4, S.ESME_RINVCMDID),
    ),
    (
        FramingError("x", S.ESME_RINVCMDLEN, command_id=C.SUBMIT_SM, sequence=5),
        Pdu.generic_nack(5, S.ESME_RINVCMDLEN),
    ),
    (FieldError("x", S.ESME_RINVMSGID, command_id=C.SUBMIT_SM_RESP, sequence=6), None),
    (FieldError("x", S.ESME_RSYSERR), None),
]


@pytest.mark.parametrize(("error", "reply"), ERROR_REPLIES)
def test_error_reply(error: SmppError, reply: Pdu | None) -> None:
    """A bad request gets its own response with the status; others generic_nack; responses none."""
    assert reply == error_reply(error)


BUILD_ERRORS = [
    (lambda: Pdu.submit_sm(sequence=1, destination_addr="1" * 21), S.ESME_RINVDSTADR),
    (lambda: Pdu.submit_sm(sequence=1, short_message=b"x" * 255), S.ESME_RINVMSGLEN),
    (lambda: Pdu.submit_sm(sequence=1, esm_class=256), S.ESME_RINVESMCLASS),
    (lambda: Pdu.submit_sm(sequence=1, source_addr="Привет"), S.ESME_RINVSRCADR),
    (lambda: Pdu.submit_sm(sequence=1, no_such_field=1), S.ESME_RSYSERR),
    (lambda: Pdu.make(C.ENQUIRE_LINK, 1, 0, [Tlv(0x10000, b"")]), S.ESME_RINVOPTPARAMVAL),
]


@pytest.mark.parametrize(("build", "status"), BUILD_ERRORS)
def test_building_a_bad_pdu_raises_field_error(build: object, status: S) -> None:
    """Values are checked against the field table when a PDU is built."""
    with pytest.raises(FieldError) as info:
        build()  # type: ignore[operator]
    assert status == info.value.status


def test_unknown_command_cannot_be_built() -> None:
    """A command id outside the enum is refused with ESME_RINVCMDID."""
    with pytest.raises(UnknownCommandError):
        Pdu(0x99, 1)  # type: ignore[arg-type]


def test_repr_hides_password_and_body() -> None:
    """Logging a PDU never shows a password or message text."""
    text = repr(Pdu.bind(C.BIND_TRANSMITTER, sequence=1, system_id="s", password="secret"))
    body = repr(Pdu.submit_sm(sequence=1, short_message=b"my secret text"))
    assert ("secret" not in text, "secret" not in body) == (True, True)


def test_response_pairs_with_its_request() -> None:
    """``response()`` builds the paired command with the same sequence."""
    req = Pdu.submit_sm(sequence=77, destination_addr="1")
    assert Pdu.make(C.SUBMIT_SM_RESP, 77, message_id="m") == req.response(message_id="m")


def test_with_sequence_renumbers_without_changing_the_pdu() -> None:
    """A checked submit_sm under another sequence encodes exactly as if built with it."""
    tlvs = (Tlv(Tag.USER_MESSAGE_REFERENCE, b"\x00\x07"),)
    built = Pdu.submit_sm(
        sequence=1, tlvs=tlvs, destination_addr="79001234567", short_message=b"hi"
    )
    again = built.with_sequence(0x7FFFFFFF)
    expected = Pdu.submit_sm(
        sequence=0x7FFFFFFF, tlvs=tlvs, destination_addr="79001234567", short_message=b"hi"
    )
    assert expected == again
    assert encode(expected) == encode(again)
    assert 1 == built.sequence
    with pytest.raises(SmppError):
        built.with_sequence(0x1_0000_0000)
