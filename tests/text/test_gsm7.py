"""GSM 03.38 alphabet tables, escape handling and 7-bit packing, byte by byte."""

from __future__ import annotations

import pytest

from smsrelay.text import (
    Encoding,
    TextError,
    UndecodablePayload,
    UnencodableText,
    decode,
    encode,
    pack_septets,
    unpack_septets,
)
from smsrelay.text.gsm7 import first_unencodable, is_gsm7, septet_length

# 3GPP TS 23.038 §6.2.1, written out independently of the implementation; "\x1b" is the escape.
OFFICIAL_DEFAULT_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# §6.2.1.1
OFFICIAL_EXTENSION_TABLE = [
    ("\f", 0x0A),
    ("^", 0x14),
    ("{", 0x28),
    ("}", 0x29),
    ("\\", 0x2F),
    ("[", 0x3C),
    ("~", 0x3D),
    ("]", 0x3E),
    ("|", 0x40),
    ("€", 0x65),
]


@pytest.mark.parametrize(
    ("code", "char"), [(c, ch) for c, ch in enumerate(OFFICIAL_DEFAULT_TABLE) if c != 0x1B]
)
def test_every_default_alphabet_character_encodes_to_its_table_position(
    code: int, char: str
) -> None:
    """Each of the 127 characters of the default table is one septet, its table position."""
    assert bytes([code]) == encode(char, Encoding.GSM7)
    assert char == decode(bytes([code]), Encoding.GSM7)


@pytest.mark.parametrize(("char", "code"), OFFICIAL_EXTENSION_TABLE)
def test_every_extension_character_encodes_as_escape_then_code(char: str, code: int) -> None:
    """Extension characters take two septets: 0x1B then the code from §6.2.1.1."""
    assert bytes([0x1B, code]) == encode(char, Encoding.GSM7)
    assert char == decode(bytes([0x1B, code]), Encoding.GSM7)
    assert 2 == septet_length(char)


@pytest.mark.parametrize(
    ("text", "septets"),
    [
        ("@£$", b"\x00\x01\x02"),
        ("€", b"\x1b\x65"),
        ("Hello", b"Hello"),
        ("a@b", b"a\x00b"),
        ("$_¤", b"\x02\x11\x24"),
        ("ÇΔΦ", b"\x09\x10\x12"),
        ("¡¿à", b"\x40\x60\x7f"),
        ("ÄÖÑÜ§", b"\x5b\x5c\x5d\x5e\x5f"),
        ("{x}", b"\x1b\x28x\x1b\x29"),
        ("a[b]c", b"a\x1b\x3cb\x1b\x3ec"),
        ("line\r\nnext", b"line\r\nnext"),
        ("", b""),
    ],
)
def test_known_strings_encode_to_known_septets(text: str, septets: bytes) -> None:
    """Byte table of representative strings, both directions."""
    assert septets == encode(text, Encoding.GSM7)
    assert text == decode(septets, Encoding.GSM7)


@pytest.mark.parametrize(
    ("char", "position"),
    [("ç", 1), ("`", 1), ("\t", 1), ("Ж", 1), ("😀", 1), ("\u00a0", 1), ("\x1b", 1)],
)
def test_characters_outside_gsm_are_refused_with_their_position(char: str, position: int) -> None:
    """Lower-case ç (0x09 is Ç), backtick, tab, Cyrillic, emoji, NBSP, raw ESC: not GSM 7-bit."""
    text = "a" + char + "b"
    with pytest.raises(UnencodableText) as caught:
        encode(text, Encoding.GSM7)
    assert (Encoding.GSM7, position, char) == (
        caught.value.encoding,
        caught.value.position,
        caught.value.char,
    )
    assert position == first_unencodable(text)
    assert False is is_gsm7(text)
    assert None is septet_length(text)


@pytest.mark.parametrize(
    ("text", "length"),
    [("", 0), ("abc", 3), ("€", 2), ("a{b}c", 7), ("Größe Δ", 7), ("Größe €", 8), ("\f", 2)],
)
def test_septet_length_counts_escapes_twice(text: str, length: int) -> None:
    """ASCII and non-ASCII paths agree: extension characters take two septets."""
    assert length == septet_length(text)


@pytest.mark.parametrize(
    ("septets", "text"),
    [
        (b"\x1b\x1b", " "),  # §6.2.1.1 note 1: reserved escape to another table, show a space
        (b"a\x1b\x1bb", "a b"),
        (b"\x1b\x41", "A"),  # undefined extension code: the default-table character
        (b"\x1b\x00", "@"),
        (b"\x1b\x0d", "\r"),  # CR2 is not defined for display: the default-table CR
        (b"abc\x1b", "abc"),  # a lone trailing escape shows nothing
        (b"\x1b", ""),
        (b"\x1b\x1b\x1b\x65", " €"),
    ],
)
def test_unusual_escape_sequences_decode_per_the_spec(septets: bytes, text: str) -> None:
    """Escape edge cases decode as 23.038 §6.2.1.1 prescribes, never raising."""
    assert text == decode(septets, Encoding.GSM7)


def test_a_byte_above_0x7f_is_not_a_septet() -> None:
    """Unpacked GSM7 payloads hold septets only; 0x80 and above is our error, not a crash."""
    with pytest.raises(UndecodablePayload):
        decode(b"ab\x80", Encoding.GSM7)


@pytest.mark.parametrize(
    ("text", "packed"),
    [
        ("hellohello", bytes.fromhex("E8329BFD4697D9EC37")),  # the classic 23.040 example
        ("A", b"\x41"),
        ("AB", bytes.fromhex("4121")),
        ("1234567", bytes.fromhex("31D98C56B3DD00")),
        ("12345678", bytes.fromhex("31D98C56B3DD70")),
        ("", b""),
    ],
)
def test_known_texts_pack_to_known_octets(text: str, packed: bytes) -> None:
    """Packing is LSB first, 8 septets in 7 octets, spare bits zero."""
    septets = encode(text, Encoding.GSM7)
    assert packed == pack_septets(septets)
    assert septets == unpack_septets(packed, len(septets))


def test_fill_bits_shift_the_packed_text_after_a_udh() -> None:
    """With 1 fill bit (after a 6-octet UDH) every bit moves up by one."""
    septets = encode("hellohello", Encoding.GSM7)
    packed = pack_septets(septets, fill_bits=1)
    expected = int.from_bytes(bytes.fromhex("E8329BFD4697D9EC37"), "little") << 1
    assert expected.to_bytes(len(packed), "little") == packed
    assert septets == unpack_septets(packed, len(septets), fill_bits=1)


@pytest.mark.parametrize(
    ("data", "count", "fill_bits"),
    [(b"", 1, 0), (b"\x00" * 7, 9, 0), (b"\x00" * 7, 8, 1), (b"\x00", -1, 0)],
)
def test_unpacking_more_septets_than_the_octets_hold_is_refused(
    data: bytes, count: int, fill_bits: int
) -> None:
    """Too few octets for the septet count (or a negative count) raises our TextError."""
    with pytest.raises(TextError):
        unpack_septets(data, count, fill_bits)


def test_packing_refuses_values_that_are_not_septets() -> None:
    """A byte above 0x7F cannot be packed into 7 bits."""
    with pytest.raises(TextError):
        pack_septets(b"\x80")


@pytest.mark.parametrize("fill_bits", [-1, 7])
def test_fill_bits_outside_0_to_6_are_a_programming_error(fill_bits: int) -> None:
    """A septet boundary is never more than 6 bits away."""
    with pytest.raises(ValueError, match="fill_bits"):
        pack_septets(b"a", fill_bits)
    with pytest.raises(ValueError, match="fill_bits"):
        unpack_septets(b"a", 1, fill_bits)
