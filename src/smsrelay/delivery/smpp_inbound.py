"""Mobile-originated messages from SMPP: text decoding by data_coding and reassembly of
concatenated parts (UDH IE 0x00 / 0x08, or SAR TLVs), bounded in count and age.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from .. import text as textcodec
from ..smpp import Pdu, SmppError, Tag, tlv_int
from ..smpp.constants import ESM_UDHI
from ..smpp.udh import Concat, find_concat, split_udh
from .ports import InboundSms

__all__ = ["MoAssembler", "decode_text", "encoding_for"]

Encoding = textcodec.Encoding


def encoding_for(data_coding: int) -> Encoding:
    """The text encoding of a data_coding value (SMPP §5.2.19, GSM 03.38 §4)."""
    if data_coding == 0x00:
        return Encoding.GSM7
    if data_coding == 0x08:
        return Encoding.UCS2
    if data_coding & 0xC0 == 0x00 and data_coding & 0x20 == 0 and data_coding & 0x10:
        alphabet = (data_coding >> 2) & 0x03  # general data coding group with a message class
        return {0: Encoding.GSM7, 2: Encoding.UCS2}.get(alphabet, Encoding.LATIN1)
    if data_coding & 0xF0 == 0xF0:
        return Encoding.LATIN1 if data_coding & 0x04 else Encoding.GSM7
    return Encoding.LATIN1  # 0x01 IA5, 0x03 Latin-1, 0x04 octets and the rest: byte per char


def decode_text(payload: bytes, data_coding: int) -> str:
    """Decode, falling back to Latin-1 when the payload is not valid in its declared coding."""
    try:
        return textcodec.decode(payload, encoding_for(data_coding))
    except textcodec.TextError:
        return payload.decode("latin-1")


@dataclass(slots=True)
class _Partial:
    data_coding: int
    first_seen: float
    parts: dict[int, bytes] = field(default_factory=dict)


class MoAssembler:
    """Turns deliver_sm PDUs into :class:`InboundSms`, holding parts until all have arrived."""

    def __init__(self, connector: str, *, max_pending: int = 1000, max_age: float = 600.0) -> None:
        self.connector = connector
        self.max_pending = max_pending
        self.max_age = max_age
        self._pending: OrderedDict[tuple[str, str, int, int], _Partial] = OrderedDict()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, pdu: Pdu, at: datetime, now: float) -> InboundSms | None:
        """Feed one deliver_sm (not a receipt); a whole message comes out once complete."""
        self._expire(now)
        source = pdu.str_param("source_addr")
        destination = pdu.str_param("destination_addr")
        data_coding = pdu.int_param("data_coding")
        body = pdu.bytes_param("short_message") if "short_message" in pdu.params else b""
        payload = pdu.tlv(Tag.MESSAGE_PAYLOAD)
        if not body and payload is not None:
            body = payload.value
        concat: Concat | None = None
        if pdu.int_param("esm_class") & ESM_UDHI:
            try:
                elements, body = split_udh(body)
                concat = find_concat(elements)
            except SmppError:
                pass  # unparseable UDH: deliver the bytes as they are
        if concat is None:
            concat = _sar(pdu)
        if concat is None or concat.total == 1:
            return InboundSms(
                self.connector, source, destination, decode_text(body, data_coding), at
            )
        key = (source, destination, concat.ref, concat.total)
        partial = self._pending.get(key)
        if partial is None:
            partial = self._pending[key] = _Partial(data_coding, now)
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
        partial.parts[concat.seq] = body
        if len(partial.parts) < concat.total:
            return None
        del self._pending[key]
        whole = b"".join(partial.parts[i] for i in range(1, concat.total + 1))
        return InboundSms(
            self.connector, source, destination, decode_text(whole, partial.data_coding), at
        )

    def _expire(self, now: float) -> None:
        while self._pending:
            key, oldest = next(iter(self._pending.items()))
            if now - oldest.first_seen < self.max_age:
                return
            del self._pending[key]


def _sar(pdu: Pdu) -> Concat | None:
    ref, total, seq = (
        pdu.tlv(t) for t in (Tag.SAR_MSG_REF_NUM, Tag.SAR_TOTAL_SEGMENTS, Tag.SAR_SEGMENT_SEQNUM)
    )
    if ref is None or total is None or seq is None:
        return None
    try:
        concat = Concat(tlv_int(ref), tlv_int(total), tlv_int(seq))
    except SmppError:
        return None
    return concat if 1 <= concat.seq <= concat.total else None
