"""Encoding choice, part limits and where texts are cut, at every boundary that matters."""

from __future__ import annotations

import pytest

import smsrelay.text
from smsrelay.text import (
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

EMOJI = "😀"  # U+1F600: a surrogate pair in UTF-16


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("", Encoding.GSM7),
        ("Hello, world!", Encoding.GSM7),
        ("Price: 5€ [promo] {code} ~x|y^z\\", Encoding.GSM7),
        ("Größe Δ Ç é à", Encoding.GSM7),
        ("ça va", Encoding.UCS2),  # lower-case ç is not in GSM 03.38
        ("Привет", Encoding.UCS2),
        ("tab\there", Encoding.UCS2),
        ("back`tick", Encoding.UCS2),
        ("hi " + EMOJI, Encoding.UCS2),
        ("ÿ", Encoding.UCS2),  # Latin-1 but not GSM: LATIN1 is never chosen
    ],
)
def test_choose_encoding_prefers_gsm7_then_ucs2(text: str, encoding: Encoding) -> None:
    """GSM7 when every character is in the default or extension table, else UCS2."""
    assert encoding == choose_encoding(text)
    assert encoding == split(text).encoding


@pytest.mark.parametrize(
    ("encoding", "limits"),
    [(Encoding.GSM7, (160, 153)), (Encoding.UCS2, (70, 67)), (Encoding.LATIN1, (140, 134))],
)
def test_part_limits_per_encoding(encoding: Encoding, limits: tuple[int, int]) -> None:
    """Single-part and per-part limits, in septets, UTF-16 units and octets."""
    assert limits == part_limits(encoding)


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("a" * 160, [160]),
        ("a" * 161, [153, 8]),
        ("a" * 153 * 2, [153, 153]),
        ("a" * (153 * 2 + 1), [153, 153, 1]),
        ("€" * 80, [160]),  # 160 septets with escapes still fit one part
        ("€" * 80 + "a", [152, 9]),  # 76 euros: a 77th would straddle
        ("€" * 160, [152, 152, 16]),
        ("a" * 151 + "€" + "a" * 10, [153, 10]),  # the pair fills septets 152-153 exactly
        ("a" * 152 + "€" + "a" * 10, [152, 12]),  # the pair would straddle: it moves on
        ("a" * 152 + "€" + "a" * 152, [152, 153, 1]),  # 306 septets, yet 3 parts
    ],
    ids=lambda value: f"{len(value)}" if isinstance(value, str) else None,
)
def test_gsm7_part_boundaries(text: str, sizes: list[int]) -> None:
    """GSM7: 160 septets in one part, else 153 per part, an escape pair never split."""
    segmented = split(text)
    assert Encoding.GSM7 == segmented.encoding
    assert sizes == [len(part) for part in segmented.parts]
    assert len(sizes) == count_parts(text)
    assert all(part[-1:] != b"\x1b" for part in segmented.parts)


def test_an_escape_at_septet_153_starts_the_next_part() -> None:
    """The euro that would occupy septets 153-154 goes whole into part two."""
    segmented = split("a" * 152 + "€" + "b" * 10)
    assert (b"a" * 152, b"\x1b\x65" + b"b" * 10) == segmented.parts


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("ж" * 70, [70]),
        ("ж" * 71, [67, 4]),
        ("ж" * 134, [67, 67]),
        ("ж" * 135, [67, 67, 1]),
        (EMOJI * 35, [70]),  # 70 code units
        (EMOJI * 36, [66, 6]),  # 33 pairs per part: 67 would split one
        ("ж" * 65 + EMOJI + "ж" * 10, [67, 10]),  # the pair fills units 66-67 exactly
        ("ж" * 66 + EMOJI + "ж" * 10, [66, 12]),  # the pair would straddle: it moves on
    ],
    ids=lambda value: f"{len(value)}" if isinstance(value, str) else None,
)
def test_ucs2_part_boundaries(text: str, units: list[int]) -> None:
    """UCS2: 70 UTF-16 units in one part, else 67 per part, a surrogate pair never split."""
    segmented = split(text)
    assert Encoding.UCS2 == segmented.encoding
    assert units == [len(part) // 2 for part in segmented.parts]
    assert len(units) == count_parts(text)


def test_a_surrogate_pair_at_unit_67_starts_the_next_part() -> None:
    """The emoji whose high surrogate would be unit 67 goes whole into part two."""
    segmented = split("ж" * 66 + EMOJI + "ж" * 3)
    expected = ("ж" * 66, EMOJI + "ж" * 3)
    assert expected == tuple(decode(p, Encoding.UCS2) for p in segmented.parts)


@pytest.mark.parametrize(
    ("text", "sizes"),
    [("é" * 140, [140]), ("é" * 141, [134, 7]), ("é" * 268, [134, 134]), ("", [0])],
    ids=["140", "141", "268", "empty"],
)
def test_latin1_part_boundaries(text: str, sizes: list[int]) -> None:
    """LATIN1 (only when asked for): 140 octets in one part, else 134 per part."""
    segmented = split(text, Encoding.LATIN1)
    assert Encoding.LATIN1 == segmented.encoding
    assert sizes == [len(part) for part in segmented.parts]
    assert len(sizes) == count_parts(text, Encoding.LATIN1)


@pytest.mark.parametrize("encoding", [None, Encoding.GSM7, Encoding.UCS2, Encoding.LATIN1])
def test_empty_text_is_one_empty_part(encoding: Encoding | None) -> None:
    """An empty message still goes out as one (empty) part."""
    assert (b"",) == split("", encoding).parts
    assert 1 == count_parts("", encoding)


def test_gsm_text_may_be_sent_as_ucs2_when_asked() -> None:
    """An explicit encoding wins over the choice: ASCII as UCS2 takes the UCS2 limits."""
    segmented = split("a" * 71, Encoding.UCS2)
    assert (Encoding.UCS2, [134, 8]) == (segmented.encoding, [len(p) for p in segmented.parts])
    assert 2 == count_parts("a" * 71, Encoding.UCS2)
    assert 1 == count_parts("a" * 71)


def test_the_plain_string_value_of_an_encoding_is_accepted() -> None:
    """Configuration may hand us "latin1" rather than the enum member."""
    assert b"\xe9" == encode("é", "latin1")  # type: ignore[arg-type]
    assert Encoding.LATIN1 == split("é", "latin1").encoding  # type: ignore[arg-type]


def test_an_unknown_encoding_is_a_programming_error() -> None:
    """Asking for an encoding we do not have is a ValueError naming it."""
    with pytest.raises(ValueError, match="utf7"):
        split("a", "utf7")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "encoding", "position", "char"),
    [
        ("ça", Encoding.GSM7, 0, "ç"),
        ("5 €", Encoding.LATIN1, 2, "€"),
        ("abc Привет", Encoding.LATIN1, 4, "П"),
        ("ok\ud800", Encoding.UCS2, 2, "\ud800"),  # a lone surrogate is not text
        ("ok\udc00", None, 2, "\udc00"),
    ],
)
def test_an_encoding_that_cannot_hold_the_text_is_refused(
    text: str, encoding: Encoding | None, position: int, char: str
) -> None:
    """encode, split and count_parts all raise UnencodableText naming the first bad character."""
    with pytest.raises(UnencodableText) as caught:
        split(text, encoding)
    assert (position, char) == (caught.value.position, caught.value.char)
    assert text not in str(caught.value)  # the body never enters error messages
    with pytest.raises(UnencodableText):
        count_parts(text, encoding)
    if encoding is not None:
        with pytest.raises(UnencodableText):
            encode(text, encoding)


def test_more_parts_than_allowed_raises_with_needed_and_allowed() -> None:
    """max_parts is enforced, never by truncation; the error says how many were needed."""
    with pytest.raises(TooManyParts) as caught:
        split("a" * 400, max_parts=2)
    assert (3, 2) == (caught.value.needed, caught.value.allowed)
    assert isinstance(caught.value, TextError)
    assert 3 == len(split("a" * 400, max_parts=3).parts)


def test_max_parts_below_one_is_a_programming_error() -> None:
    """No message fits in zero parts."""
    with pytest.raises(ValueError, match="max_parts"):
        split("a", max_parts=0)


def test_a_segmented_text_has_at_least_one_part() -> None:
    """Segmented validates on construction."""
    with pytest.raises(ValueError, match="at least one part"):
        Segmented(Encoding.GSM7, ())


@pytest.mark.parametrize(
    ("payload", "encoding"),
    [
        (b"\x00", Encoding.UCS2),  # odd length
        (b"\x04\x16\x00", Encoding.UCS2),
        (b"\xd8\x3d", Encoding.UCS2),  # high surrogate with nothing after it
        (b"\xde\x00\x00a", Encoding.UCS2),  # low surrogate first
        (b"\xd8\x3d\x00a", Encoding.UCS2),  # high surrogate then a plain unit
        (b"\xff", Encoding.GSM7),
    ],
)
def test_invalid_payloads_raise_our_error(payload: bytes, encoding: Encoding) -> None:
    """Malformed UTF-16 or non-septet bytes give UndecodablePayload, a TextError."""
    with pytest.raises(UndecodablePayload):
        decode(payload, encoding)


@pytest.mark.parametrize(
    ("payload", "encoding", "text"),
    [
        (b"\x04\x1f\x04@", Encoding.UCS2, "Пр"),
        (b"\xd8\x3d\xde\x00", Encoding.UCS2, EMOJI),
        (b"\xe9\xff\x80", Encoding.LATIN1, "éÿ\x80"),
        (b"\x00\x01\x02", Encoding.GSM7, "@£$"),
    ],
)
def test_valid_payloads_decode(payload: bytes, encoding: Encoding, text: str) -> None:
    """UTF-16-BE, Latin-1 and unpacked septets decode to the text they carry."""
    assert text == decode(payload, encoding)
    assert payload == encode(text, encoding)


def test_exported_names_are_sorted_and_present() -> None:
    """The package's curated surface: a sorted __all__ whose every name resolves."""
    names = smsrelay.text.__all__
    assert sorted(names) == names
    assert all(hasattr(smsrelay.text, name) for name in names)
