"""Choosing an encoding, counting parts and splitting text into SMS parts.

Part sizes (3GPP TS 23.040 §9.2.3.24: a concatenated part carries a 6-octet user data header
with a 16-bit reference, 8-bit references take 5 but we size for the larger one)::

    encoding   unit                 single part   per part of a concatenated message
    GSM7       septet               160           153   (an escape pair is never split)
    UCS2       UTF-16 code unit     70            67    (a surrogate pair is never split)
    LATIN1     octet                140           134

Payloads are what a connector puts after its own UDH: GSM7 as unpacked septets (one byte per
septet), UCS2 as UTF-16-BE, LATIN1 as ISO-8859-1 octets.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from .errors import TextError, TooManyParts, UndecodablePayload, UnencodableText
from .gsm7 import (
    ESCAPE,
    decode_septets,
    encode_septets,
    is_gsm7,
    septet_length,
)

__all__ = [
    "Encoding",
    "Segmented",
    "TextError",
    "TooManyParts",
    "UndecodablePayload",
    "UnencodableText",
    "choose_encoding",
    "count_parts",
    "decode",
    "encode",
    "part_limits",
    "split",
]


class Encoding(enum.StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"
    LATIN1 = "latin1"


@dataclass(frozen=True, slots=True)
class _Layout:
    single: int  # units in a message of one part
    multi: int  # units in each part of a concatenated message
    unit_bytes: int  # payload bytes per unit


_LAYOUTS: dict[Encoding, _Layout] = {
    Encoding.GSM7: _Layout(single=160, multi=153, unit_bytes=1),
    Encoding.UCS2: _Layout(single=70, multi=67, unit_bytes=2),
    Encoding.LATIN1: _Layout(single=140, multi=134, unit_bytes=1),
}
_GSM7_SINGLE = _LAYOUTS[Encoding.GSM7].single
_GSM7_MULTI = _LAYOUTS[Encoding.GSM7].multi


@dataclass(frozen=True, slots=True)
class Segmented:
    """A text cut into parts: each part's payload, without any UDH."""

    encoding: Encoding
    parts: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.parts:
            raise ValueError("a segmented text has at least one part")


def part_limits(encoding: Encoding) -> tuple[int, int]:
    """``(single, multi)``: units in a one-part message and in each part of a longer one."""
    layout = _layout(encoding)
    return layout.single, layout.multi


def choose_encoding(text: str) -> Encoding:
    """GSM7 when every character is in GSM 03.38 (default or extension table), else UCS2.

    LATIN1 is never chosen: a connector asks for it explicitly.
    """
    return Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2


def count_parts(text: str, encoding: Encoding | None = None) -> int:
    """How many parts ``split(text, encoding)`` makes; "" is one part.

    Raises ``UnencodableText`` if ``encoding`` is given and cannot represent ``text``.
    """
    if encoding is not None:
        encoding = _coerce(encoding)
    if encoding is None or encoding is Encoding.GSM7:
        septets = septet_length(text)
        if septets is not None:
            if septets <= _GSM7_SINGLE:
                return 1
            if septets == len(text):  # no escape pairs: nothing can straddle a boundary
                return -(-septets // _GSM7_MULTI)
            return len(_cut(encode_septets(text), Encoding.GSM7))
        if encoding is Encoding.GSM7:
            encode_septets(text)  # raises UnencodableText naming the character
        encoding = Encoding.UCS2
    return len(_cut(_encode(text, encoding), encoding))


def split(text: str, encoding: Encoding | None = None, max_parts: int | None = None) -> Segmented:
    """Encode ``text`` and cut it into parts (see the module docstring for the sizes).

    ``encoding`` None means ``choose_encoding(text)``. Raises ``UnencodableText`` if the
    requested encoding cannot represent the text, ``TooManyParts`` if it needs more than
    ``max_parts`` parts (never truncates).
    """
    if max_parts is not None and max_parts < 1:
        raise ValueError(f"max_parts must be at least 1, got {max_parts}")
    chosen = choose_encoding(text) if encoding is None else _coerce(encoding)
    parts = _cut(_encode(text, chosen), chosen)
    if max_parts is not None and len(parts) > max_parts:
        raise TooManyParts(needed=len(parts), allowed=max_parts)
    return Segmented(chosen, parts)


def encode(text: str, encoding: Encoding) -> bytes:
    """The whole text as one payload: unpacked septets, UTF-16-BE or Latin-1.

    Raises ``UnencodableText`` (with the first offending position), e.g. for ``ç`` in GSM7,
    ``€`` in LATIN1, or a lone surrogate in UCS2.
    """
    return _encode(text, _coerce(encoding))


def _encode(text: str, encoding: Encoding) -> bytes:
    if encoding is Encoding.GSM7:
        return encode_septets(text)
    codec = "utf-16-be" if encoding is Encoding.UCS2 else "latin-1"
    try:
        return text.encode(codec)
    except UnicodeEncodeError as exc:
        raise UnencodableText(encoding, exc.start, text[exc.start]) from exc


def decode(payload: bytes, encoding: Encoding) -> str:
    """Inverse of ``encode``; also decodes each part of a ``split`` on its own.

    Any bytes give a ``str`` or an ``UndecodablePayload`` (a ``TextError``): a septet above
    0x7F for GSM7, odd length or a lone surrogate for UCS2. LATIN1 decodes every byte.
    """
    encoding = _coerce(encoding)
    if encoding is Encoding.GSM7:
        return decode_septets(payload)
    if encoding is Encoding.LATIN1:
        return payload.decode("latin-1")
    if len(payload) % 2:
        raise UndecodablePayload(encoding, f"odd length {len(payload)} for UTF-16")
    try:
        return payload.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise UndecodablePayload(encoding, f"invalid UTF-16 at offset {exc.start}") from exc


def _coerce(encoding: Encoding | str) -> Encoding:
    """Accept the plain string value too ("gsm7"), as read from configuration."""
    if isinstance(encoding, Encoding):
        return encoding
    try:
        return Encoding(encoding)
    except ValueError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def _layout(encoding: Encoding) -> _Layout:
    return _LAYOUTS[_coerce(encoding)]


def _gsm7_back_off(payload: bytes, end: int) -> int:
    """Keep an escape and its code together: never end a part on the escape (§6.2.1.1)."""
    return 1 if payload[end - 1] == ESCAPE else 0


def _ucs2_back_off(payload: bytes, end: int) -> int:
    """Keep a surrogate pair together: never end a part on a high surrogate (D800-DBFF)."""
    return 2 if 0xD8 <= payload[end - 2] <= 0xDB else 0


def _no_back_off(payload: bytes, end: int) -> int:
    return 0


_BACK_OFF: dict[Encoding, Callable[[bytes, int], int]] = {
    Encoding.GSM7: _gsm7_back_off,
    Encoding.UCS2: _ucs2_back_off,
    Encoding.LATIN1: _no_back_off,
}


def _cut(payload: bytes, encoding: Encoding) -> tuple[bytes, ...]:
    """Cut a whole-text payload into part payloads of at most the encoding's limits."""
    layout = _layout(encoding)
    if len(payload) <= layout.single * layout.unit_bytes:
        return (payload,)
    size = layout.multi * layout.unit_bytes
    back_off = _BACK_OFF[encoding]
    parts: list[bytes] = []
    start = 0
    while len(payload) - start > size:
        end = start + size
        end -= back_off(payload, end)
        parts.append(payload[start:end])
        start = end
    parts.append(payload[start:])
    return tuple(parts)
