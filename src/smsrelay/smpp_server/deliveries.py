"""deliver_sm for what a customer is owed: delivery receipts (esm_class 0x04) and MO."""

from __future__ import annotations

from .. import text as textcodec
from ..domain.status import MessageStatus
from ..services.smpp_outbox import OutboxItem, OutboxKind
from ..smpp import ESM_RECEIPT, MessageState, Pdu, Tag, Tlv, format_receipt_text
from ..smpp.constants import DC_GSM7, DC_UCS2

__all__ = ["MESSAGE_STATE", "deliver_sm_for"]

#: final status of a message -> message_state of its receipt (§5.2.28)
MESSAGE_STATE: dict[MessageStatus, MessageState] = {
    MessageStatus.DELIVERED: MessageState.DELIVERED,
    MessageStatus.READ: MessageState.DELIVERED,
    MessageStatus.UNDELIVERED: MessageState.UNDELIVERABLE,
    MessageStatus.PARTLY_DELIVERED: MessageState.UNDELIVERABLE,
    MessageStatus.EXPIRED: MessageState.EXPIRED,
    MessageStatus.REJECTED: MessageState.REJECTED,
    MessageStatus.CANCELLED: MessageState.DELETED,
}
_MAX_SHORT = 254  # §5.2.22: longer goes into message_payload


def _addr(value: str) -> tuple[int, int]:
    """(TON, NPI) of an address: international E.164 for numbers, alphanumeric otherwise."""
    return (1, 1) if value.isdigit() else (5, 0)


def _printable(text: str) -> str:
    return "".join(c if " " <= c <= "~" else "?" for c in text[:20])


def deliver_sm_for(item: OutboxItem, sequence: int) -> Pdu:
    if item.kind is OutboxKind.RECEIPT:
        assert item.status is not None and item.submitted_at is not None
        state = MESSAGE_STATE.get(item.status, MessageState.UNKNOWN)
        delivered = state is MessageState.DELIVERED
        body = format_receipt_text(
            str(item.ref_id),
            state,
            submitted=item.submitted_at,
            done=item.created_at,
            err=0 if delivered else 1,
            text=_printable(item.text),
            sub=1,
            dlvrd=1 if delivered else 0,
        ).encode("latin-1")
        src_ton, src_npi = _addr(item.source)
        dst_ton, dst_npi = _addr(item.destination)
        return Pdu.deliver_sm(
            sequence=sequence,
            tlvs=(
                Tlv.of_str(Tag.RECEIPTED_MESSAGE_ID, str(item.ref_id)),
                Tlv.of_int(Tag.MESSAGE_STATE, state),
            ),
            source_addr_ton=src_ton,
            source_addr_npi=src_npi,
            source_addr=item.source[:20],
            dest_addr_ton=dst_ton,
            dest_addr_npi=dst_npi,
            destination_addr=item.destination[:20],
            esm_class=ESM_RECEIPT,
            short_message=body,
        )
    if textcodec.choose_encoding(item.text) is textcodec.Encoding.GSM7:
        coding, payload = DC_GSM7, textcodec.encode(item.text, textcodec.Encoding.GSM7)
    else:
        coding, payload = DC_UCS2, textcodec.encode(item.text, textcodec.Encoding.UCS2)
    src_ton, src_npi = _addr(item.source)
    long = len(payload) > _MAX_SHORT
    return Pdu.deliver_sm(
        sequence=sequence,
        tlvs=(Tlv(Tag.MESSAGE_PAYLOAD, payload),) if long else (),
        source_addr_ton=src_ton,
        source_addr_npi=src_npi,
        source_addr=item.source[:20],
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr=item.destination[:20],
        data_coding=coding,
        short_message=b"" if long else payload,
    )
