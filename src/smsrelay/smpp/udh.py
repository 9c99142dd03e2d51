"""User data headers (3GPP TS 23.040 §9.2.3.24) inside short_message when esm_class has UDHI.

Only what SMPP users need: concatenation (IE 0x00 with an 8-bit reference, IE 0x08 with a
16-bit one) and application ports (IE 0x04 / 0x05, passed through as opaque elements).
"""

from __future__ import annotations

from dataclasses import dataclass

from .constants import CommandStatus
from .errors import UdhError

__all__ = [
    "IE_CONCAT_8",
    "IE_CONCAT_16",
    "IE_PORT_8",
    "IE_PORT_16",
    "Concat",
    "InfoElement",
    "concat_element",
    "find_concat",
    "join_udh",
    "split_udh",
]

IE_CONCAT_8 = 0x00
IE_PORT_8 = 0x04
IE_PORT_16 = 0x05
IE_CONCAT_16 = 0x08

InfoElement = tuple[int, bytes]  # (IEI, data)


@dataclass(frozen=True, slots=True)
class Concat:
    ref: int
    total: int
    seq: int  # 1-based


def concat_element(ref: int, total: int, seq: int, *, wide: bool = False) -> bytes:
    """The encoded concatenation element (IEI, IEDL, data), without the UDHL octet."""
    if not 1 <= seq <= total <= 255:
        raise UdhError(f"bad concatenation {seq}/{total}", CommandStatus.ESME_RINVESMCLASS)
    if wide:
        if not 0 <= ref <= 0xFFFF:
            raise UdhError(f"16-bit reference out of range: {ref}", CommandStatus.ESME_RINVESMCLASS)
        return bytes((IE_CONCAT_16, 4)) + ref.to_bytes(2, "big") + bytes((total, seq))
    if not 0 <= ref <= 0xFF:
        raise UdhError(f"8-bit reference out of range: {ref}", CommandStatus.ESME_RINVESMCLASS)
    return bytes((IE_CONCAT_8, 3, ref, total, seq))


def join_udh(elements: bytes, payload: bytes) -> bytes:
    """``UDHL + elements + payload``; ``elements`` are already-encoded IEs."""
    if not 0 < len(elements) <= 0xFF:
        raise UdhError("a UDH holds 1..255 octets of elements", CommandStatus.ESME_RINVESMCLASS)
    return bytes((len(elements),)) + elements + payload


def split_udh(short_message: bytes) -> tuple[tuple[InfoElement, ...], bytes]:
    """Parse the UDH at the start of ``short_message``; return its elements and the rest."""
    if not short_message:
        raise UdhError("UDHI set on an empty message", CommandStatus.ESME_RINVESMCLASS)
    udhl = short_message[0]
    if udhl + 1 > len(short_message):
        raise UdhError(f"UDH length {udhl} exceeds the message", CommandStatus.ESME_RINVESMCLASS)
    header = short_message[1 : udhl + 1]
    elements: list[InfoElement] = []
    i = 0
    while i < len(header):
        if i + 2 > len(header):
            raise UdhError("truncated information element", CommandStatus.ESME_RINVESMCLASS)
        iei, iedl = header[i], header[i + 1]
        if i + 2 + iedl > len(header):
            raise UdhError(f"element 0x{iei:02X} overruns the UDH", CommandStatus.ESME_RINVESMCLASS)
        elements.append((iei, bytes(header[i + 2 : i + 2 + iedl])))
        i += 2 + iedl
    return tuple(elements), bytes(short_message[udhl + 1 :])


def find_concat(elements: tuple[InfoElement, ...]) -> Concat | None:
    """The concatenation element among ``elements`` (8- or 16-bit reference), if valid."""
    for iei, data in elements:
        if iei == IE_CONCAT_8 and len(data) == 3:
            ref, total, seq = data
        elif iei == IE_CONCAT_16 and len(data) == 4:
            ref, total, seq = int.from_bytes(data[:2], "big"), data[2], data[3]
        else:
            continue
        if 1 <= seq <= total:
            return Concat(ref, total, seq)
    return None
