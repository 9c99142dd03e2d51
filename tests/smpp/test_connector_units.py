"""The connector's pure parts: building submit_sm, classifying statuses, pacing, receipts,
MO reassembly, and the link state table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsrelay.clock import FakeClock
from smsrelay.delivery.ports import SubmitStatus
from smsrelay.delivery.receipts import receipt_from_pdu
from smsrelay.delivery.smpp_connector import (
    LINK_TRANSITIONS,
    IllegalLinkTransition,
    LinkState,
    SmppConnector,
    SmppConnectorConfig,
)
from smsrelay.delivery.smpp_inbound import MoAssembler, decode_text, encoding_for
from smsrelay.delivery.smpp_submit import ConcatMode, Pacer, classify, source_ton_npi, submit_params
from smsrelay.domain.messages import MessageKind
from smsrelay.domain.status import PartState
from smsrelay.smpp import CommandStatus, Pdu, Tag, Tlv
from smsrelay.text import Encoding

from .conftest import part

S = CommandStatus
AT = datetime(2026, 1, 1, tzinfo=UTC)

CODINGS = [
    (Encoding.GSM7, MessageKind.SMS, 0x00),
    (Encoding.LATIN1, MessageKind.SMS, 0x03),
    (Encoding.UCS2, MessageKind.SMS, 0x08),
    (Encoding.GSM7, MessageKind.FLASH, 0x10),
    (Encoding.UCS2, MessageKind.FLASH, 0x18),
]


@pytest.mark.parametrize(("encoding", "kind", "data_coding"), CODINGS)
def test_data_coding(encoding: Encoding, kind: MessageKind, data_coding: int) -> None:
    """data_coding follows the encoding; flash messages use message class 0."""
    params, _ = submit_params(
        part(encoding=encoding, kind=kind, payload=b"ab"), concat=ConcatMode.UDH8
    )
    assert data_coding == params["data_coding"]


def test_silent_receipt_and_validity() -> None:
    """Silent -> protocol_id 0x40; want_receipt -> registered_delivery 1; validity absolute UTC."""
    until = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    params, _ = submit_params(
        part(kind=MessageKind.SILENCE, valid_until=until, want_receipt=True), concat=ConcatMode.UDH8
    )
    quiet, _ = submit_params(part(want_receipt=False), concat=ConcatMode.UDH8)
    assert (0x40, 1, "260506070809000+") == (
        params["protocol_id"],
        params["registered_delivery"],
        params["validity_period"],
    )
    assert (0, "") == (quiet["registered_delivery"], quiet["validity_period"])


def test_concatenation_modes() -> None:
    """udh8/udh16 prefix a UDH (esm_class 0x40); sar adds the three SAR TLVs; payload uses TLVs."""
    p = part(payload=b"hi", part_no=1, total_parts=2, ref=300)
    udh8, _ = submit_params(p, concat=ConcatMode.UDH8)
    udh16, _ = submit_params(p, concat=ConcatMode.UDH16)
    sar, sar_tlvs = submit_params(p, concat=ConcatMode.SAR)
    pay, pay_tlvs = submit_params(p, concat=ConcatMode.PAYLOAD)
    sar_expected = (
        Tlv.of_int(Tag.SAR_MSG_REF_NUM, 300),
        Tlv.of_int(Tag.SAR_TOTAL_SEGMENTS, 2),
        Tlv.of_int(Tag.SAR_SEGMENT_SEQNUM, 1),
    )
    assert (0x40, bytes.fromhex("0500032c0201") + b"hi") == (
        udh8["esm_class"],
        udh8["short_message"],
    )
    assert (0x40, bytes.fromhex("060804012c0201") + b"hi") == (
        udh16["esm_class"],
        udh16["short_message"],
    )
    assert (0x00, b"hi", sar_expected) == (sar["esm_class"], sar["short_message"], sar_tlvs)
    assert (b"", (*sar_expected, Tlv(Tag.MESSAGE_PAYLOAD, b"hi"))) == (
        pay["short_message"],
        pay_tlvs,
    )


def test_port_elements_join_the_concatenation_udh() -> None:
    """port_udh elements are merged after the concatenation element in one UDH."""
    ports = bytes.fromhex("05040b8423f0")
    params, _ = submit_params(
        part(payload=b"x", part_no=2, total_parts=2, ref=1, port_udh=ports), concat=ConcatMode.UDH8
    )
    assert (
        bytes.fromhex("0b 0003010202 05040b8423f0".replace(" ", "")) + b"x"
        == params["short_message"]
    )


def test_too_long_for_short_message_goes_to_payload() -> None:
    """A body over 254 octets is sent in message_payload instead of short_message."""
    params, tlvs = submit_params(part(payload=b"a" * 300), concat=ConcatMode.UDH8)
    assert (b"", (Tlv(Tag.MESSAGE_PAYLOAD, b"a" * 300),)) == (params["short_message"], tlvs)


SOURCES = [
    ("ACME", None, None, (5, 0)),
    ("1234", None, None, (3, 0)),
    ("79990001122", None, None, (1, 1)),
    ("ACME", 0, 1, (0, 1)),
]


@pytest.mark.parametrize(("source", "ton", "npi", "expected"), SOURCES)
def test_source_ton_npi(
    source: str, ton: int | None, npi: int | None, expected: tuple[int, int]
) -> None:
    """Alphanumeric 5/0, short code 3/0, long number 1/1; configured values win."""
    assert expected == source_ton_npi(source, ton, npi)


STATUSES = [
    (S.ESME_ROK, SubmitStatus.ACCEPTED),
    (S.ESME_RTHROTTLED, None),
    (S.ESME_RMSGQFUL, None),
    (S.ESME_RSYSERR, SubmitStatus.RETRY),
    (S.ESME_RX_T_APPN, SubmitStatus.RETRY),
    (S.ESME_RINVDSTADR, SubmitStatus.REJECTED),
    (S.ESME_RX_R_APPN, SubmitStatus.REJECTED),
    (0x400, SubmitStatus.REJECTED),
]


@pytest.mark.parametrize(("status", "verdict"), STATUSES)
def test_status_classification(status: int, verdict: SubmitStatus | None) -> None:
    """OK accepts; throttling is the connector's own (None); temporary retries; the rest rejects."""
    assert verdict == classify(status)


def test_pacer_spaces_parts_after_the_burst() -> None:
    """At 2 parts/s with burst 2: two at once, then one every half second."""
    pacer = Pacer(2.0, now=0.0)
    assert [0.0, 0.0, 0.5, 1.0] == [pacer.reserve(0.0) for _ in range(4)]
    assert 0.0 == Pacer(2.0, now=0.0).reserve(10.0)


def _receipt(esm_class: int = 0x04, text: bytes = b"", tlvs: tuple[Tlv, ...] = ()) -> Pdu:
    return Pdu.deliver_sm(sequence=1, esm_class=esm_class, short_message=text, tlvs=tlvs)


RECEIPTS = [
    (_receipt(text=b"id:1A stat:DELIVRD err:000"), ("1A", "1a", "26"), PartState.DELIVERED, ""),
    (
        _receipt(text=b"id:26 stat:UNDELIV err:001"),
        ("26", "1a", "1A", "38"),
        PartState.UNDELIVERED,
        "001",
    ),
    (_receipt(text=b"id:7 stat:REJECTD"), ("7",), PartState.REJECTED, ""),
    (_receipt(text=b"id:7 stat:EXPIRED"), ("7",), PartState.EXPIRED, ""),
    (_receipt(text=b"id:7 stat:DELETED"), ("7",), PartState.UNDELIVERED, ""),
    (_receipt(text=b"id:7 stat:UNKNOWN"), ("7",), PartState.UNDELIVERED, ""),
    (
        _receipt(
            0x00,
            b"id:999 stat:ENROUTE",
            (Tlv.of_str(Tag.RECEIPTED_MESSAGE_ID, "AB"), Tlv.of_int(Tag.MESSAGE_STATE, 2)),
        ),
        ("AB", "ab", "171", "999", "3e7", "3E7", "2457"),
        PartState.DELIVERED,
        "",
    ),
    (
        _receipt(
            text=b"stat:UNDELIV",
            tlvs=(
                Tlv.of_str(Tag.RECEIPTED_MESSAGE_ID, "x1"),
                Tlv(Tag.NETWORK_ERROR_CODE, b"\x03\x00\x22"),
            ),
        ),
        ("x1", "X1"),
        PartState.UNDELIVERED,
        "030022",
    ),
]


@pytest.mark.parametrize(("pdu", "ids", "state", "error"), RECEIPTS)
def test_receipts(pdu: Pdu, ids: tuple[str, ...], state: PartState, error: str) -> None:
    """TLVs win over the text; states map to part states; ids come with their spellings."""
    receipt = receipt_from_pdu(pdu, "c", AT)
    assert receipt is not None
    assert (ids, state, error) == (receipt.carrier_ids, receipt.state, receipt.error)


@pytest.mark.parametrize(
    "pdu",
    [
        _receipt(text=b"id:1 stat:ENROUTE"),
        _receipt(text=b"id:1 stat:ACCEPTD"),
        _receipt(text=b"garbage"),
        _receipt(text=b"stat:DELIVRD"),
    ],
)
def test_intermediate_or_unusable_receipts_are_not_reported(pdu: Pdu) -> None:
    """ENROUTE / ACCEPTD, and receipts without an id or a state, give no Receipt."""
    assert None is receipt_from_pdu(pdu, "c", AT)


def _mo(body: bytes, esm_class: int = 0, data_coding: int = 0, tlvs: tuple[Tlv, ...] = ()) -> Pdu:
    return Pdu.deliver_sm(
        sequence=1,
        source_addr="7999",
        destination_addr="ACME",
        esm_class=esm_class,
        data_coding=data_coding,
        short_message=body,
        tlvs=tlvs,
    )


def test_mo_parts_reassemble_in_any_order() -> None:
    """UDH-concatenated parts arriving out of order make one message once all are in."""
    mo = MoAssembler("c")
    second = mo.add(_mo(bytes.fromhex("0500030902 02") + b"world", 0x40), AT, 0.0)
    first = mo.add(_mo(bytes.fromhex("0500030902 01") + b"hello ", 0x40), AT, 0.0)
    assert (None, "hello world", 0) == (second, first.text if first else None, mo.pending)


def test_mo_sar_and_payload() -> None:
    """SAR TLVs reassemble too; message_payload stands in for short_message (UCS-2 here)."""
    mo = MoAssembler("c")

    def sar(n: int) -> tuple[Tlv, ...]:
        return (
            Tlv.of_int(Tag.SAR_MSG_REF_NUM, 5),
            Tlv.of_int(Tag.SAR_TOTAL_SEGMENTS, 2),
            Tlv.of_int(Tag.SAR_SEGMENT_SEQNUM, n),
        )

    assert None is mo.add(_mo(b"ab", tlvs=sar(1)), AT, 0.0)
    joined = mo.add(_mo(b"cd", tlvs=sar(2)), AT, 0.0)
    payload = mo.add(
        _mo(b"", data_coding=8, tlvs=(Tlv(Tag.MESSAGE_PAYLOAD, "Жд".encode("utf-16-be")),)), AT, 0.0
    )
    assert ("abcd", "Жд") == (joined.text if joined else None, payload.text if payload else None)


def test_mo_partials_are_bounded_by_count_and_age() -> None:
    """Unfinished messages are dropped past max_pending, and after max_age."""
    mo = MoAssembler("c", max_pending=2, max_age=10.0)
    for ref in range(3):
        mo.add(_mo(bytes([5, 0, 3, ref, 2, 1]) + b"x", 0x40), AT, 0.0)
    count = mo.pending
    mo.add(_mo(b"single"), AT, 11.0)
    assert (2, 0) == (count, mo.pending)


DECODING = [
    (0x00, bytes([0x00, 0x01]), "@£"),
    (0x03, "é".encode("latin-1"), "é"),
    (0x08, "Ж".encode("utf-16-be"), "Ж"),
    (0x18, "Ж".encode("utf-16-be"), "Ж"),
    (0xF0, bytes([0x41]), "A"),
    (0x00, bytes([0xE9]), "é"),  # not valid septets: read as Latin-1
]


@pytest.mark.parametrize(("data_coding", "payload", "text"), DECODING)
def test_mo_decoding_by_data_coding(data_coding: int, payload: bytes, text: str) -> None:
    """data_coding picks the decoder; invalid payloads fall back to Latin-1."""
    assert text == decode_text(payload, data_coding)


def test_encoding_for_message_class_codings() -> None:
    """0x10 GSM7 class 0, 0x14 8-bit, 0x18 UCS2; 0xF4 8-bit."""
    assert [Encoding.GSM7, Encoding.LATIN1, Encoding.UCS2, Encoding.LATIN1] == [
        encoding_for(dc) for dc in (0x10, 0x14, 0x18, 0xF4)
    ]


def test_link_state_table() -> None:
    """Every state can reach STOPPED except STOPPED; an illegal move raises with the lookup."""
    assert all(
        LinkState.STOPPED in t for s, t in LINK_TRANSITIONS.items() if s is not LinkState.STOPPED
    )
    connector = SmppConnector(
        SmppConnectorConfig(name="x", host="h", port=1, system_id="s", password="p"),
        lambda r: None,
        lambda m: None,
        FakeClock(),
    )
    with pytest.raises(IllegalLinkTransition) as info:
        connector._move(LinkState.BOUND)
    assert (LinkState.IDLE, LinkState.BOUND) == info.value.lookup


@pytest.mark.parametrize(
    "bad",
    [{"window": 0}, {"port": 0}, {"reconnect_min": 5.0, "reconnect_max": 1.0}, {"concat": "zip"}],
)
def test_connector_config_is_validated(bad: dict[str, object]) -> None:
    """Invalid connector settings fail at construction, naming the key."""
    settings: dict[str, object] = {
        "name": "x",
        "host": "h",
        "port": 1,
        "system_id": "s",
        "password": "p",
        **bad,
    }
    with pytest.raises(ValueError):
        SmppConnectorConfig(**settings)  # type: ignore[arg-type]
