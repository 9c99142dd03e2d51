"""GSM 03.38 / UCS-2 / Latin-1 text encoding, part counting and splitting (pure).

Public surface (implemented in ``gsm7.py``, ``segments.py``)::

    Encoding                     StrEnum: GSM7, UCS2, LATIN1
    choose_encoding(text)        GSM7 if every char is in the GSM 03.38 default alphabet or its
                                 extension table, else UCS2
    count_parts(text, encoding=None) -> int
                                 GSM7: 1 part <= 160 septets, else ceil(n / 153); escape chars
                                 count 2. UCS2: <= 70 UTF-16 units, else 67 per part; a surrogate
                                 pair is never split. LATIN1: 140 / 134 bytes. "" -> 1 part.
    split(text, encoding=None, max_parts=None) -> Segmented
                                 Segmented(encoding, parts: tuple[bytes, ...]) - each part's
                                 payload WITHOUT UDH: GSM7 as unpacked septets (one byte per
                                 septet, escape = 0x1B then code, never split across parts),
                                 UCS2 as UTF-16-BE, LATIN1 as bytes. Raises TooManyParts.
    encode(text, encoding) -> bytes / decode(payload, encoding) -> str
    pack_septets(bytes) -> bytes / unpack_septets(bytes, count) -> bytes
    part_limits(encoding) -> (single, multi)
                                 units per part: GSM7 (160, 153), UCS2 (70, 67), LATIN1 (140, 134)
    TextError (base), TooManyParts, UnencodableText, UndecodablePayload (see ``errors.py``)
"""

from .gsm7 import pack_septets, unpack_septets
from .segments import (
    Encoding,
    Segmented,
    TextError,
    TooManyParts,
    UndecodablePayload,
    UnencodableText,
    choose_encoding,
    count_parts,
    decode,
    encode,
    part_limits,
    split,
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
    "pack_septets",
    "part_limits",
    "split",
    "unpack_septets",
]
