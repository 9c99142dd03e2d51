"""Hypothesis properties: round trips, lossless splitting, limits, and no foreign exceptions."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from smsrelay.text import (
    Encoding,
    TextError,
    UnencodableText,
    choose_encoding,
    count_parts,
    decode,
    encode,
    pack_septets,
    part_limits,
    split,
    unpack_septets,
)
from smsrelay.text.gsm7 import GSM7_CHARS

gsm_texts = st.text(alphabet=st.sampled_from(sorted(GSM7_CHARS)), max_size=500)
# Mostly extension characters, to crowd the part boundaries with escape pairs.
escape_heavy_texts = st.text(alphabet=st.sampled_from("a€{}[]"), min_size=150, max_size=500)
any_texts = st.text(max_size=400)  # every code point except lone surrogates
astral_heavy_texts = st.text(alphabet=st.sampled_from("жa😀𝄞"), min_size=60, max_size=300)
latin1_texts = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=400)
texts_with_surrogates = st.text(
    alphabet=st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)),
    max_size=100,
)
septet_strings = st.lists(st.integers(0, 0x7F), max_size=400).map(bytes)
encodings = st.sampled_from(list(Encoding))
UNIT_BYTES = {Encoding.GSM7: 1, Encoding.UCS2: 2, Encoding.LATIN1: 1}


@given(gsm_texts)
def test_gsm_texts_round_trip_through_septets(text: str) -> None:
    """Any GSM-encodable text decodes back to itself."""
    assert text == decode(encode(text, Encoding.GSM7), Encoding.GSM7)


@given(any_texts)
def test_any_text_round_trips_in_its_chosen_encoding(text: str) -> None:
    """Whatever choose_encoding picks, decode(encode(x)) == x."""
    encoding = choose_encoding(text)
    assert text == decode(encode(text, encoding), encoding)


@given(latin1_texts)
def test_latin1_texts_round_trip_when_asked_for(text: str) -> None:
    """Latin-1 texts survive an explicit LATIN1 request."""
    assert text == decode(encode(text, Encoding.LATIN1), Encoding.LATIN1)


@given(st.one_of(gsm_texts, escape_heavy_texts, any_texts, astral_heavy_texts))
def test_split_parts_decode_back_to_the_whole_text(text: str) -> None:
    """Decoding each part on its own and joining gives the original text: nothing lost."""
    segmented = split(text)
    assert text == "".join(decode(part, segmented.encoding) for part in segmented.parts)


@given(latin1_texts, st.sampled_from([Encoding.UCS2, Encoding.LATIN1]))
def test_explicit_encodings_split_losslessly(text: str, encoding: Encoding) -> None:
    """An explicit UCS2 or LATIN1 split of a Latin-1 text is lossless too."""
    segmented = split(text, encoding)
    assert text == "".join(decode(part, encoding) for part in segmented.parts)


@given(st.one_of(gsm_texts, escape_heavy_texts, any_texts, astral_heavy_texts))
def test_every_part_is_within_its_limit_and_as_full_as_allowed(text: str) -> None:
    """One part holds <= single units; otherwise each part <= multi, and only the last, or
    one cut short by a pair it must not split (by exactly one unit), holds fewer."""
    segmented = split(text)
    single, multi = part_limits(segmented.encoding)
    units = [len(part) // UNIT_BYTES[segmented.encoding] for part in segmented.parts]
    if len(units) == 1:
        assert units[0] <= single
    else:
        assert all(count in (multi, multi - 1) for count in units[:-1])
        assert 1 <= units[-1] <= multi


@given(st.one_of(gsm_texts, escape_heavy_texts, any_texts, astral_heavy_texts))
def test_count_parts_agrees_with_split(text: str) -> None:
    """The hot-path counter never disagrees with the splitter."""
    assert len(split(text).parts) == count_parts(text)


@given(st.one_of(gsm_texts, latin1_texts, any_texts), encodings)
def test_count_parts_agrees_with_split_for_explicit_encodings(
    text: str, encoding: Encoding
) -> None:
    """Same agreement for a requested encoding, including refusing the same texts."""
    try:
        expected = len(split(text, encoding).parts)
    except UnencodableText:
        try:
            count_parts(text, encoding)
        except UnencodableText:
            return
        raise AssertionError("count_parts accepted a text split refused") from None
    assert expected == count_parts(text, encoding)


@given(texts_with_surrogates, st.one_of(st.none(), encodings))
def test_any_str_splits_or_is_refused_with_our_error(text: str, encoding: Encoding | None) -> None:
    """Even lone surrogates give a Segmented or UnencodableText, never another exception."""
    with contextlib.suppress(UnencodableText):
        split(text, encoding)


@given(septet_strings, st.integers(0, 6))
def test_pack_unpack_round_trip(septets: bytes, fill_bits: int) -> None:
    """Packing then unpacking the same count gives the septets back, with any fill bits."""
    packed = pack_septets(septets, fill_bits)
    expected_octets = (fill_bits + 7 * len(septets) + 7) // 8 if septets else 0
    assert expected_octets == len(packed)
    assert septets == unpack_septets(packed, len(septets), fill_bits)


@given(st.binary(max_size=300), st.integers(-2, 400), st.integers(0, 6))
def test_unpack_of_any_bytes_gives_septets_or_our_error(
    data: bytes, count: int, fill_bits: int
) -> None:
    """Arbitrary octets and counts: septets (all <= 0x7F) or a TextError, nothing else."""
    try:
        septets = unpack_septets(data, count, fill_bits)
    except TextError:
        return
    assert count == len(septets)
    assert septets.isascii()


@given(st.binary(max_size=400), encodings)
def test_decode_of_any_bytes_gives_str_or_our_error(payload: bytes, encoding: Encoding) -> None:
    """Any payload in any encoding decodes to a str or raises TextError, nothing else."""
    try:
        text = decode(payload, encoding)
    except TextError:
        return
    assert isinstance(text, str)


@given(septet_strings)
def test_any_septets_decode_to_text(septets: bytes) -> None:
    """Every septet string is displayable: GSM7 decoding of values <= 0x7F never fails."""
    assert isinstance(decode(septets, Encoding.GSM7), str)
