"""The GSM 7-bit default alphabet (3GPP TS 23.038, formerly GSM 03.38 §6.2.1) as data.

Text is encoded to *unpacked septets*: one byte per septet, values 0x00-0x7F. A character of
the extension table (§6.2.1.1) takes two septets, the escape 0x1B then its code. The 7-bit
packing used on the air interface (§6.1.2.1) is a separate step: ``pack_septets`` /
``unpack_septets``.

Mapping choices, all following the official table and the Unicode consortium's GSM0338 mapping:

* 0x09 is ``Ç`` (U+00C7, capital C cedilla). Lower-case ``ç`` is *not* in the alphabet (mapping
  it to 0x09 would come back as ``Ç``), so text containing it goes out as UCS-2.
* Look-alikes (Greek capital Alpha for ``A`` and the like) are not folded: what we encode is
  exactly what the handset shows, and ``decode(encode(t)) == t`` always holds.
* 0x1B 0x1B decodes as a space (§6.2.1.1 note 1: reserved for a further extension table,
  "display a space"); 0x1B followed by a code the extension table does not define decodes as
  the default-alphabet character of that code (§6.2.1.1: "the MS shall display the character
  shown in the main GSM 7 bit default alphabet table"); a lone 0x1B at the end decodes as
  nothing.
"""

from __future__ import annotations

import re

from .errors import UndecodablePayload, UnencodableText

__all__ = [
    "DEFAULT_ALPHABET",
    "ESCAPE",
    "EXTENSION_TABLE",
    "GSM7_CHARS",
    "decode_septets",
    "encode_septets",
    "first_unencodable",
    "is_gsm7",
    "pack_septets",
    "septet_length",
    "unpack_septets",
]

_NAME = "gsm7"  # == Encoding.GSM7; the enum lives in segments.py, which imports this module

ESCAPE = 0x1B

# §6.2.1, indexed by septet value. Position 0x1B is the escape, not a character; it holds
# U+001B here only to keep the indices right and is excluded from the encodable set.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(DEFAULT_ALPHABET) == 128

# §6.2.1.1: character -> code following the escape.
EXTENSION_TABLE: dict[str, int] = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

_DEFAULT_CODES: dict[str, int] = {
    char: code for code, char in enumerate(DEFAULT_ALPHABET) if code != ESCAPE
}
GSM7_CHARS: frozenset[str] = frozenset(_DEFAULT_CODES) | frozenset(EXTENSION_TABLE)

# For str.translate: code point -> its septets as a (Latin-1) string of one or two characters.
_ENCODE_MAP: dict[int, str] = {ord(c): chr(code) for c, code in _DEFAULT_CODES.items()} | {
    ord(c): chr(ESCAPE) + chr(code) for c, code in EXTENSION_TABLE.items()
}
_EXTENSION_DECODE: dict[int, str] = {code: char for char, code in EXTENSION_TABLE.items()}

# Fast path for ASCII text (the common case on the HTTP hot path): bytes.translate runs in C.
_ASCII_GSM = bytes(sorted(ord(c) for c in GSM7_CHARS if ord(c) < 0x80))
_ASCII_EXTENSION = bytes(sorted(ord(c) for c in EXTENSION_TABLE if ord(c) < 0x80))
_ASCII_TO_SEPTET = bytes(_DEFAULT_CODES.get(chr(b), 0) for b in range(256))
_SEPTET_TO_CHAR = DEFAULT_ALPHABET[:ESCAPE] + " " + DEFAULT_ALPHABET[ESCAPE + 1 :]
# For other text, a compiled character class beats per-character Python code by ~10x.
_DEFAULT_RUN = re.compile("[" + re.escape("".join(sorted(_DEFAULT_CODES))) + "]*")
_GSM7_RUN = re.compile("[" + re.escape("".join(sorted(GSM7_CHARS))) + "]*")
_EXTENSION_CHARS = tuple(EXTENSION_TABLE)


def is_gsm7(text: str) -> bool:
    """True if every character is in the default alphabet or its extension table."""
    if text.isascii():
        return not text.encode("ascii").translate(None, _ASCII_GSM)
    return _GSM7_RUN.fullmatch(text) is not None


def septet_length(text: str) -> int | None:
    """Septets ``text`` takes (extension characters count 2), or None if it is not GSM 7-bit."""
    if text.isascii():
        raw = text.encode("ascii")
        if raw.translate(None, _ASCII_GSM):
            return None
        return 2 * len(raw) - len(raw.translate(None, _ASCII_EXTENSION))
    if _DEFAULT_RUN.fullmatch(text) is not None:
        return len(text)
    if _GSM7_RUN.fullmatch(text) is None:
        return None
    return len(text) + sum(map(text.count, _EXTENSION_CHARS))


def first_unencodable(text: str) -> int | None:
    """Index of the first character outside the GSM 7-bit alphabet, or None."""
    match = _GSM7_RUN.match(text)  # ``[...]*`` always matches, possibly empty
    end = match.end() if match is not None else 0
    return None if end == len(text) else end


def encode_septets(text: str) -> bytes:
    """``text`` as unpacked septets; raises ``UnencodableText`` naming the first bad character."""
    if text.isascii():
        raw = text.encode("ascii")
        plain = not raw.translate(None, _ASCII_GSM) and raw == raw.translate(None, _ASCII_EXTENSION)
        if plain:  # all default-alphabet characters: a one-to-one byte map
            return raw.translate(_ASCII_TO_SEPTET)
    index = first_unencodable(text)
    if index is not None:
        raise UnencodableText(_NAME, index, text[index])
    return text.translate(_ENCODE_MAP).encode("latin-1")


def decode_septets(septets: bytes) -> str:
    """Inverse of ``encode_septets``; every input of values 0x00-0x7F decodes (see module doc).

    Raises ``UndecodablePayload`` for a byte above 0x7F, which is not a septet.
    """
    if not septets.isascii():
        raise UndecodablePayload(_NAME, "byte above 0x7F in unpacked septets")
    if ESCAPE not in septets:
        return septets.decode("ascii").translate(_SEPTET_TO_CHAR)
    chars: list[str] = []
    escaped = False
    for code in septets:
        if escaped:
            escaped = False
            if code == ESCAPE:
                chars.append(" ")  # §6.2.1.1 note 1: reserved, display a space
            else:
                chars.append(_EXTENSION_DECODE.get(code, DEFAULT_ALPHABET[code]))
        elif code == ESCAPE:
            escaped = True
        else:
            chars.append(DEFAULT_ALPHABET[code])
    return "".join(chars)  # a trailing lone escape contributes nothing


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets 8 into 7 octets, least significant bit first (§6.1.2.1.1).

    ``fill_bits`` (0-6) zero bits come first, to align the text on a septet boundary after a
    user data header (TS 23.040 §9.2.3.24); a 6-octet UDH needs 1. The spare bits of the last
    octet are zero: the septet count travels separately (TP-UDL / sm_length).
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, got {fill_bits}")
    if not septets:
        return b""
    if not septets.isascii():
        raise UndecodablePayload(_NAME, "septet value above 0x7F")
    out = bytearray()
    acc = 0
    nbits = fill_bits
    for septet in septets:
        acc |= septet << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> bytes:
    """The first ``count`` septets packed in ``data`` (after ``fill_bits`` leading bits).

    Raises ``UndecodablePayload`` if ``data`` is too short to hold them; octets beyond the
    last septet are ignored.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, got {fill_bits}")
    if count < 0:
        raise UndecodablePayload(_NAME, f"negative septet count {count}")
    if count == 0:
        return b""
    if fill_bits + 7 * count > 8 * len(data):
        raise UndecodablePayload(
            _NAME, f"{len(data)} octets cannot hold {count} septets after {fill_bits} fill bits"
        )
    out = bytearray()
    acc = 0
    nbits = -fill_bits
    octets = iter(data)
    while len(out) < count:
        while nbits < 7:
            if nbits < 0:  # skip the fill bits of the first octet
                acc = next(octets) >> fill_bits
                nbits = 8 - fill_bits
            else:
                acc |= next(octets) << nbits
                nbits += 8
        out.append(acc & 0x7F)
        acc >>= 7
        nbits -= 7
    return bytes(out)
