"""Delivery receipts from SMPP: a deliver_sm (or data_sm) that is a receipt becomes a
:class:`~smsrelay.delivery.ports.Receipt`.

A PDU is a receipt when esm_class says "SMSC delivery receipt" (0x04) or "intermediate
notification" (0x20), or when it carries ``receipted_message_id``. The state comes from the
``message_state`` TLV when present, else from the text's ``stat:``; the id from
``receipted_message_id`` when present, else from the text's ``id:``, followed by its other
spellings (carriers mix hex and decimal). Intermediate states are not reported.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.status import PartState
from ..smpp import (
    MessageState,
    Pdu,
    SmppError,
    Tag,
    parse_receipt_text,
    receipt_ids,
    tlv_int,
    tlv_str,
)
from ..smpp.constants import ESM_INTERMEDIATE, ESM_RECEIPT, ESM_TYPE_MASK
from .ports import Receipt

__all__ = ["PART_STATES", "is_receipt", "receipt_from_pdu"]

#: message_state -> what the engine records; ENROUTE and ACCEPTED are not final: not reported.
PART_STATES: dict[MessageState, PartState | None] = {
    MessageState.DELIVERED: PartState.DELIVERED,
    MessageState.UNDELIVERABLE: PartState.UNDELIVERED,
    MessageState.DELETED: PartState.UNDELIVERED,
    MessageState.UNKNOWN: PartState.UNDELIVERED,
    MessageState.REJECTED: PartState.REJECTED,
    MessageState.EXPIRED: PartState.EXPIRED,
    MessageState.ENROUTE: None,
    MessageState.ACCEPTED: None,
}


def is_receipt(pdu: Pdu) -> bool:
    kind = pdu.int_param("esm_class") & ESM_TYPE_MASK
    return kind in (ESM_RECEIPT, ESM_INTERMEDIATE) or pdu.tlv(Tag.RECEIPTED_MESSAGE_ID) is not None


def _body(pdu: Pdu) -> bytes:
    body = pdu.bytes_param("short_message") if "short_message" in pdu.params else b""
    payload = pdu.tlv(Tag.MESSAGE_PAYLOAD)
    return payload.value if not body and payload is not None else body


def receipt_from_pdu(pdu: Pdu, connector: str, at: datetime) -> Receipt | None:
    """The receipt a deliver_sm carries, or ``None`` (not final, or no id or state in it)."""
    text = parse_receipt_text(_body(pdu))
    tlv_id: str | None = None
    state: MessageState | None = None
    error = text.err or ""
    try:
        id_tlv = pdu.tlv(Tag.RECEIPTED_MESSAGE_ID)
        tlv_id = tlv_str(id_tlv) if id_tlv is not None else None
        state_tlv = pdu.tlv(Tag.MESSAGE_STATE)
        if state_tlv is not None:
            state = MessageState(tlv_int(state_tlv))
        net = pdu.tlv(Tag.NETWORK_ERROR_CODE)
        if net is not None and not error.strip("0"):
            error = net.value.hex()
    except (SmppError, ValueError):
        pass  # a malformed TLV: fall back on the text
    if state is None:
        state = text.state
    ids = receipt_ids(tlv_id, text.id)
    if state is None or not ids:
        return None
    part_state = PART_STATES[state]
    if part_state is None:
        return None
    if error and not error.strip("0"):
        error = ""
    return Receipt(connector=connector, carrier_ids=ids, state=part_state, at=at, error=error)
