"""deliver_sm built for the outbox: receipt text and TLVs, MO codings (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

from smsrelay.domain.status import MessageStatus
from smsrelay.services.smpp_outbox import OutboxItem, OutboxKind
from smsrelay.smpp import Tag, tlv_int, tlv_str
from smsrelay.smpp_server.deliveries import deliver_sm_for

AT = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)


def _item(kind: OutboxKind, text: str, status: MessageStatus | None = None) -> OutboxItem:
    return OutboxItem(
        id=1, account_id=1, kind=kind, ref_id=42, created_at=AT, attempts=1,
        source="79990001122", destination="Shop", text=text, status=status,
        submitted_at=AT if status else None,
    )  # fmt: skip


def test_receipt_text_and_tlvs() -> None:
    """The Appendix B text, esm_class 0x04, receipted_message_id and message_state."""
    pdu = deliver_sm_for(_item(OutboxKind.RECEIPT, "Привет, hello", MessageStatus.UNDELIVERED), 9)
    assert (
        b"id:42 sub:001 dlvrd:000 submit date:2612051030 done date:2612051030 "
        b"stat:UNDELIV err:001 text:??????, hello"
    ) == pdu.bytes_param("short_message")
    assert (4, "42", 5) == (
        pdu.int_param("esm_class"),
        tlv_str(pdu.tlv(Tag.RECEIPTED_MESSAGE_ID)),  # type: ignore[arg-type]
        tlv_int(pdu.tlv(Tag.MESSAGE_STATE)),  # type: ignore[arg-type]
    )
    assert (1, 1, 5, 0) == (
        pdu.int_param("source_addr_ton"),
        pdu.int_param("source_addr_npi"),
        pdu.int_param("dest_addr_ton"),
        pdu.int_param("dest_addr_npi"),
    )


def test_mo_codings_and_payload() -> None:
    """GSM text in data_coding 0, other text in UCS-2 (8); over 254 octets in message_payload."""
    gsm = deliver_sm_for(_item(OutboxKind.MO, "hello"), 1)
    ucs = deliver_sm_for(_item(OutboxKind.MO, "привет"), 2)
    long = deliver_sm_for(_item(OutboxKind.MO, "x" * 300), 3)
    assert (0, b"hello") == (gsm.int_param("data_coding"), gsm.bytes_param("short_message"))
    assert (8, "привет".encode("utf-16-be")) == (
        ucs.int_param("data_coding"),
        ucs.bytes_param("short_message"),
    )
    payload = long.tlv(Tag.MESSAGE_PAYLOAD)
    assert payload is not None
    assert (b"", b"x" * 300) == (long.bytes_param("short_message"), payload.value)
