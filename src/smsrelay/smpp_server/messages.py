"""A customer's submit_sm read into what the platform accepts (pure: no I/O, no clock read).

Reads the addresses (TON/NPI as Webcom lists them: source 0/0, 1/1 or 5/0; destination 1/1;
other values answered with their status), the text in data_coding 0, 1, 3 or 8 from
``short_message`` or ``message_payload``, the concatenation (UDH with an 8- or 16-bit reference,
or the SAR TLVs), ``schedule_delivery_time`` and ``validity_period`` (absolute or relative,
§7.1.1) and ``registered_delivery``. A problem is a :class:`Refused` carrying the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import text as textcodec
from ..smpp import CommandStatus, Pdu, SmppError, Tag, tlv_int
from ..smpp.constants import DC_GSM7, DC_IA5, DC_LATIN1, DC_UCS2, ESM_UDHI
from ..smpp.timefmt import parse_time
from ..smpp.udh import find_concat, split_udh

__all__ = ["Part", "Refused", "Submitted", "read_submit"]

S = CommandStatus
MAX_TEXT_OCTETS = 64 * 1024  # a message_payload is bounded by the PDU size anyway


@dataclass(frozen=True, slots=True)
class Refused:
    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a concatenated message: its place and its payload (still encoded)."""

    ref: int
    total: int
    seq: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Submitted:
    source: str
    destination: str
    data_coding: int
    text: str  # the whole text (one-part message) or "" (a part: see ``part``)
    part: Part | None
    time_send: datetime | None  # aware UTC; None = now
    valid_until: datetime | None  # aware UTC; None = the platform default
    receipt: str  # "" none, "1" every final status, "2" failures only

    def with_text(self, text: str) -> Submitted:
        return Submitted(
            self.source,
            self.destination,
            self.data_coding,
            text,
            None,
            self.time_send,
            self.valid_until,
            self.receipt,
        )


_SOURCE_TON = frozenset({0, 1, 2, 3, 4, 5, 6})  # §5.2.5
_DEST_TON = frozenset({0, 1})  # unknown (treated as international) or international
_DEST_NPI = frozenset({0, 1})  # unknown or E.164
_CODINGS = frozenset({DC_GSM7, DC_IA5, DC_LATIN1, DC_UCS2})


def decode_text(payload: bytes, data_coding: int) -> str | Refused:
    """data_coding 0: GSM 03.38 unpacked septets (Latin-1 if it is not valid GSM: many clients
    send Latin-1 with 0); 1 (IA5, which Webcom treats as Latin-1) and 3: Latin-1; 8: UCS-2."""
    try:
        if data_coding == DC_GSM7:
            try:
                return textcodec.decode(payload, textcodec.Encoding.GSM7)
            except textcodec.TextError:
                return payload.decode("latin-1")
        if data_coding == DC_UCS2:
            return textcodec.decode(payload, textcodec.Encoding.UCS2)
        return payload.decode("latin-1")
    except textcodec.TextError:
        return Refused(S.ESME_RINVMSGLEN, "undecodable UCS-2")


def read_submit(pdu: Pdu, now: datetime) -> Submitted | Refused:
    """The submit_sm (or data_sm) as a :class:`Submitted`, or why it is refused."""
    src_ton = pdu.int_param("source_addr_ton")
    if src_ton not in _SOURCE_TON:
        return Refused(S.ESME_RINVSRCTON, f"source TON {src_ton}")
    dst_ton, dst_npi = pdu.int_param("dest_addr_ton"), pdu.int_param("dest_addr_npi")
    if dst_ton not in _DEST_TON:
        return Refused(S.ESME_RINVDSTTON, f"destination TON {dst_ton}")
    if dst_npi not in _DEST_NPI:
        return Refused(S.ESME_RINVDSTNPI, f"destination NPI {dst_npi}")
    source = pdu.str_param("source_addr").strip()
    if not source:
        return Refused(S.ESME_RINVSRCADR, "empty source_addr")
    destination = pdu.str_param("destination_addr").strip().lstrip("+")
    if not destination.isdigit():
        return Refused(S.ESME_RINVDSTADR, "destination is not a number")
    data_coding = pdu.int_param("data_coding")
    if data_coding not in _CODINGS:
        return Refused(S.ESME_RSUBMITFAIL, f"data_coding {data_coding} is not supported")
    try:
        return _read_body(pdu, now, source, destination, data_coding)
    except SmppError as exc:
        return Refused(exc.status, str(exc))


def _read_body(
    pdu: Pdu, now: datetime, source: str, destination: str, data_coding: int
) -> Submitted | Refused:
    body = pdu.bytes_param("short_message") if "short_message" in pdu.params else b""
    payload_tlv = pdu.tlv(Tag.MESSAGE_PAYLOAD)
    if payload_tlv is not None:
        if body:
            return Refused(S.ESME_RINVMSGLEN, "both short_message and message_payload")
        body = payload_tlv.value
    if len(body) > MAX_TEXT_OCTETS:
        return Refused(S.ESME_RINVMSGLEN, "message too long")
    part: Part | None = None
    if pdu.int_param("esm_class") & ESM_UDHI:
        elements, body = split_udh(body)
        concat = find_concat(elements)
        if concat is not None and concat.total > 1:
            part = Part(concat.ref, concat.total, concat.seq, body)
    else:
        ref, total, seq = (pdu.tlv(t) for t in _SAR)
        if ref is not None and total is not None and seq is not None:
            n_total, n_seq = tlv_int(total), tlv_int(seq)
            if not 1 <= n_seq <= n_total:
                return Refused(S.ESME_RINVOPTPARAMVAL, "bad SAR segment numbers")
            if n_total > 1:
                part = Part(tlv_int(ref), n_total, n_seq, body)
    schedule_raw = pdu.params.get("schedule_delivery_time", "")
    validity_raw = pdu.params.get("validity_period", "")
    try:
        time_send = parse_time(str(schedule_raw), now)
    except SmppError:
        return Refused(S.ESME_RINVSCHED, "malformed schedule_delivery_time")
    try:
        valid_until = parse_time(str(validity_raw), now)
    except SmppError:
        return Refused(S.ESME_RINVEXPIRY, "malformed validity_period")
    if valid_until is not None and valid_until <= (time_send or now):
        return Refused(S.ESME_RINVEXPIRY, "validity_period already over")
    receipt = {1: "1", 2: "2"}.get(pdu.int_param("registered_delivery") & 0x03, "")
    text = ""
    if part is None:
        decoded = decode_text(body, data_coding)
        if isinstance(decoded, Refused):
            return decoded
        text = decoded
    return Submitted(source, destination, data_coding, text, part, time_send, valid_until, receipt)


_SAR = (Tag.SAR_MSG_REF_NUM, Tag.SAR_TOTAL_SEGMENTS, Tag.SAR_SEGMENT_SEQNUM)
