"""Optional parameters (TLVs, SMPP 3.4 §3.2.4.1 and §5.3): generic (tag, length, value).

Any tag decodes to a :class:`Tlv` holding raw bytes; the tags the platform uses are described in
:data:`TLV_TABLE` (value kind and allowed length) so that typed access (:func:`tlv_int`,
:func:`tlv_str`) is checked against the spec. Vendor tags (0x1400-0x3FFF) pass through untouched.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from .constants import CommandStatus, Tag
from .errors import FieldError

__all__ = [
    "TLV_TABLE",
    "Tlv",
    "TlvKind",
    "TlvSpec",
    "decode_tlvs",
    "encode_tlvs",
    "tlv_int",
    "tlv_str",
]

_TL = struct.Struct(">HH")
MAX_TLV_VALUE = 0xFFFF  # the length field is two octets


class TlvKind(enum.Enum):
    INT = "int"  # big-endian unsigned integer of exactly ``min_len`` octets
    CSTRING = "cstring"  # C-octet string: ASCII text and one terminating NUL
    OCTETS = "octets"  # any bytes


@dataclass(frozen=True, slots=True)
class TlvSpec:
    tag: Tag
    kind: TlvKind
    min_len: int
    max_len: int


#: Value shapes of the tags the platform reads and writes (§5.3.2.x).
TLV_TABLE: dict[int, TlvSpec] = {
    s.tag: s
    for s in (
        TlvSpec(Tag.RECEIPTED_MESSAGE_ID, TlvKind.CSTRING, 1, 65),  # §5.3.2.12
        TlvSpec(Tag.USER_MESSAGE_REFERENCE, TlvKind.INT, 2, 2),  # §5.3.2.17
        TlvSpec(Tag.SOURCE_PORT, TlvKind.INT, 2, 2),  # §5.3.2.20
        TlvSpec(Tag.DESTINATION_PORT, TlvKind.INT, 2, 2),  # §5.3.2.21
        TlvSpec(Tag.SAR_MSG_REF_NUM, TlvKind.INT, 2, 2),  # §5.3.2.22
        TlvSpec(Tag.SAR_TOTAL_SEGMENTS, TlvKind.INT, 1, 1),  # §5.3.2.23
        TlvSpec(Tag.SAR_SEGMENT_SEQNUM, TlvKind.INT, 1, 1),  # §5.3.2.24
        TlvSpec(Tag.SC_INTERFACE_VERSION, TlvKind.INT, 1, 1),  # §5.3.2.25
        TlvSpec(Tag.NETWORK_ERROR_CODE, TlvKind.OCTETS, 3, 3),  # §5.3.2.31
        TlvSpec(Tag.MESSAGE_PAYLOAD, TlvKind.OCTETS, 0, MAX_TLV_VALUE),  # §5.3.2.32
        TlvSpec(Tag.MESSAGE_STATE, TlvKind.INT, 1, 1),  # §5.3.2.35
    )
}


@dataclass(frozen=True, slots=True)
class Tlv:
    tag: int
    value: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.tag <= 0xFFFF:
            raise FieldError(
                f"TLV tag out of range: {self.tag}", CommandStatus.ESME_RINVOPTPARAMVAL
            )
        if len(self.value) > MAX_TLV_VALUE:
            raise FieldError("TLV value longer than 65535 octets", CommandStatus.ESME_RINVPARLEN)

    @classmethod
    def of_int(cls, tag: int, value: int, size: int | None = None) -> Tlv:
        """An integer TLV; ``size`` defaults to the tag's size in :data:`TLV_TABLE`."""
        if size is None:
            spec = TLV_TABLE.get(tag)
            if spec is None or spec.kind is not TlvKind.INT:
                raise FieldError(
                    f"no integer size known for tag 0x{tag:04X}", CommandStatus.ESME_RINVOPTPARAMVAL
                )
            size = spec.min_len
        if not 0 <= value < 256**size:
            raise FieldError(
                f"TLV 0x{tag:04X} value {value} does not fit", CommandStatus.ESME_RINVOPTPARAMVAL
            )
        return cls(tag, value.to_bytes(size, "big"))

    @classmethod
    def of_str(cls, tag: int, value: str) -> Tlv:
        """A C-octet-string TLV (the NUL terminator is added)."""
        return cls(tag, value.encode("latin-1") + b"\x00")

    def __repr__(self) -> str:
        try:
            name = Tag(self.tag).name.lower()
        except ValueError:
            name = f"0x{self.tag:04X}"
        return f"Tlv({name}, {self.value!r})"


def _spec_check(tlv: Tlv) -> TlvSpec | None:
    spec = TLV_TABLE.get(tlv.tag)
    if spec is not None and not spec.min_len <= len(tlv.value) <= spec.max_len:
        raise FieldError(
            f"TLV {Tag(tlv.tag).name.lower()} has {len(tlv.value)} octets, "
            f"allowed {spec.min_len}..{spec.max_len}",
            CommandStatus.ESME_RINVPARLEN,
        )
    return spec


def tlv_int(tlv: Tlv) -> int:
    """The integer value of a known INT TLV (length checked), or of any 1/2/4-octet TLV."""
    spec = _spec_check(tlv)
    if spec is None and len(tlv.value) not in (1, 2, 4):
        raise FieldError(f"TLV 0x{tlv.tag:04X} is not an integer", CommandStatus.ESME_RINVPARLEN)
    return int.from_bytes(tlv.value, "big")


def tlv_str(tlv: Tlv) -> str:
    """The text of a C-octet-string TLV; a missing NUL terminator is tolerated."""
    _spec_check(tlv)
    raw = tlv.value
    end = raw.find(b"\x00")
    return (raw if end < 0 else raw[:end]).decode("latin-1")


def _trusted(tag: int, value: bytes) -> Tlv:
    """A :class:`Tlv` from the wire: its tag and length came from two-octet fields, so they
    are in range by construction and are not checked again."""
    tlv = object.__new__(Tlv)
    object.__setattr__(tlv, "tag", tag)
    object.__setattr__(tlv, "value", value)
    return tlv


def encode_tlvs(tlvs: Iterable[Tlv]) -> bytes:
    return b"".join(_TL.pack(t.tag, len(t.value)) + t.value for t in tlvs)


def decode_tlvs(body: bytes | memoryview, offset: int) -> tuple[Tlv, ...]:
    """Decode the TLVs from ``offset`` to the end of ``body`` (§3.2.4.1)."""
    out: list[Tlv] = []
    end = len(body)
    while offset < end:
        if end - offset < 4:
            raise FieldError("truncated TLV header", CommandStatus.ESME_RINVOPTPARSTREAM)
        tag, length = _TL.unpack_from(body, offset)
        offset += 4
        if offset + length > end:
            raise FieldError(
                f"TLV 0x{tag:04X} declares {length} octets, {end - offset} left",
                CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        out.append(_trusted(tag, bytes(body[offset : offset + length])))
        offset += length
    return tuple(out)
