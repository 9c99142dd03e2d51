"""From an :class:`OutboundPart` to submit_sm parameters, and from a response status to an
outcome. Pure functions and tables; the connector owns the socket.

data_coding (SMPP 3.4 §5.2.19, GSM 03.38 §4): GSM7 -> 0x00, LATIN1 -> 0x03, UCS2 -> 0x08; a flash
message uses message class 0: GSM7 -> 0x10, UCS2 -> 0x18 (Latin-1 has no class form: 0x03).
protocol_id 0x40 (short message type 0) for a silent message. WAP-Push and vCard parts are
8-bit data (0x04) behind their application-port UDH element (``OutboundPart.port_udh``).
Concatenation per the link's :class:`ConcatMode`; a part that would not fit short_message
(254 octets) goes in message_payload instead.
"""

from __future__ import annotations

import enum
from datetime import datetime

from ..domain.messages import MessageKind
from ..smpp import CommandStatus, Tag, Tlv
from ..smpp.pdu_tables import ParamValue
from ..smpp.timefmt import format_absolute
from ..smpp.udh import concat_element, join_udh
from ..text import Encoding
from .ports import OutboundPart, SubmitStatus

__all__ = [
    "BACKOFF_STATUSES",
    "RETRY_STATUSES",
    "ConcatMode",
    "Pacer",
    "classify",
    "data_coding_for",
    "source_ton_npi",
    "submit_params",
]

S = CommandStatus
MAX_SHORT_MESSAGE = 254  # §5.2.22


class ConcatMode(enum.StrEnum):
    UDH8 = "udh8"  # UDH IE 0x00, 8-bit reference, esm_class 0x40
    UDH16 = "udh16"  # UDH IE 0x08, 16-bit reference, esm_class 0x40
    SAR = "sar"  # sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs (§5.3.2.22-24)
    PAYLOAD = "payload"  # message_payload TLV (§5.3.2.32), SAR TLVs when there are parts


#: the link is overloaded: pause the whole link, then retry the part on it.
BACKOFF_STATUSES = frozenset({S.ESME_RTHROTTLED, S.ESME_RMSGQFUL})
#: temporary trouble: give the part back to the engine to retry later.
RETRY_STATUSES = frozenset(
    {
        S.ESME_RSYSERR,
        S.ESME_RX_T_APPN,
        S.ESME_RINVBNDSTS,
        S.ESME_RSUBMITFAIL,
        S.ESME_RUNKNOWNERR,
    }
)


def classify(status: int) -> SubmitStatus | None:
    """ACCEPTED, RETRY, REJECTED; ``None`` for the back-off statuses the connector handles."""
    if status == S.ESME_ROK:
        return SubmitStatus.ACCEPTED
    if status in BACKOFF_STATUSES:
        return None
    if status in RETRY_STATUSES:
        return SubmitStatus.RETRY
    return SubmitStatus.REJECTED


_DATA_CODING = {Encoding.GSM7: 0x00, Encoding.LATIN1: 0x03, Encoding.UCS2: 0x08}
_FLASH_DATA_CODING = {Encoding.GSM7: 0x10, Encoding.LATIN1: 0x03, Encoding.UCS2: 0x18}


#: binary kinds (WAP-Push SI, vCard): 8-bit data, data_coding 0x04 (SMPP 3.4 §5.2.19)
_OCTET_KINDS = frozenset({MessageKind.WAPPUSH, MessageKind.VCARD})


def data_coding_for(encoding: Encoding, kind: MessageKind) -> int:
    if kind in _OCTET_KINDS:
        return 0x04
    table = _FLASH_DATA_CODING if kind is MessageKind.FLASH else _DATA_CODING
    return table[Encoding(encoding)]


def source_ton_npi(source: str, ton: int | None, npi: int | None) -> tuple[int, int]:
    """The source TON/NPI: configured values win; else alphanumeric -> 5/0, a short code of up
    to 6 digits -> 3/0, any longer number -> 1/1 (international, E.164)."""
    if not (source.isascii() and source.isdigit()):
        auto = (5, 0)  # alphanumeric (§5.2.5 TON 5)
    elif len(source) <= 6:
        auto = (3, 0)  # network-specific short code
    else:
        auto = (1, 1)  # international, E.164
    return (auto[0] if ton is None else ton, auto[1] if npi is None else npi)


def _sar(part: OutboundPart) -> list[Tlv]:
    return [
        Tlv.of_int(Tag.SAR_MSG_REF_NUM, part.ref & 0xFFFF),
        Tlv.of_int(Tag.SAR_TOTAL_SEGMENTS, part.total_parts),
        Tlv.of_int(Tag.SAR_SEGMENT_SEQNUM, part.part_no),
    ]


def submit_params(
    part: OutboundPart,
    *,
    concat: ConcatMode,
    source_ton: int | None = None,
    source_npi: int | None = None,
    dest_ton: int = 1,
    dest_npi: int = 1,
    service_type: str = "",
) -> tuple[dict[str, ParamValue], tuple[Tlv, ...]]:
    """The submit_sm parameters (without sequence) and TLVs for one part."""
    ton, npi = source_ton_npi(part.source, source_ton, source_npi)
    params: dict[str, ParamValue] = {
        "service_type": service_type,
        "source_addr_ton": ton,
        "source_addr_npi": npi,
        "source_addr": part.source,
        "dest_addr_ton": dest_ton,
        "dest_addr_npi": dest_npi,
        "destination_addr": part.destination,
        "data_coding": data_coding_for(part.encoding, part.kind),
        "protocol_id": 0x40 if part.kind is MessageKind.SILENCE else 0x00,
        "registered_delivery": 1 if part.want_receipt else 0,
        "validity_period": _validity(part.valid_until),
    }
    tlvs: list[Tlv] = []
    multi = part.total_parts > 1
    elements = part.port_udh or b""
    if multi and concat is ConcatMode.UDH8:
        elements = concat_element(part.ref & 0xFF, part.total_parts, part.part_no) + elements
    elif multi and concat is ConcatMode.UDH16:
        elements = (
            concat_element(part.ref & 0xFFFF, part.total_parts, part.part_no, wide=True) + elements
        )
    elif multi:
        tlvs.extend(_sar(part))
    body = join_udh(elements, part.payload) if elements else part.payload
    params["esm_class"] = 0x40 if elements else 0x00
    if concat is ConcatMode.PAYLOAD or len(body) > MAX_SHORT_MESSAGE:
        tlvs.append(Tlv(Tag.MESSAGE_PAYLOAD, body))
        params["short_message"] = b""
    else:
        params["short_message"] = body
    return params, tuple(tlvs)


def _validity(valid_until: datetime | None) -> str:
    return "" if valid_until is None else format_absolute(valid_until)


class Pacer:
    """A token bucket for parts per second: ``reserve(now)`` says how long to wait first.

    Reservations are taken in call order, so concurrent submitters queue fairly; ``burst``
    lets an idle link send that many parts at once.
    """

    def __init__(self, rate: float, burst: float | None = None, now: float = 0.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1.0, rate if burst is None else burst)
        self._tokens = self.burst
        self._last = now

    def reserve(self, now: float) -> float:
        elapsed = max(0.0, now - self._last)
        self._last = max(self._last, now)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate) - 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate
