"""Sloppy clients (spec §1.3): request-line repair and tolerant query parsing, as pure functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsrelay.api.lenient_http import parse_query, repair_request_line


def test_unencoded_cyrillic_and_spaces_are_percent_encoded_in_the_target() -> None:
    """Raw UTF-8 and spaces between the method and the version become escapes."""
    line = "GET /sendsms.php?text=Код: 1234&dadr=7 HTTP/1.1\r\n".encode()
    expected = b"GET /sendsms.php?text=%D0%9A%D0%BE%D0%B4:%201234&dadr=7 HTTP/1.1\r\n"
    assert expected == repair_request_line(line)


def test_a_clean_line_is_left_as_it_is() -> None:
    """A well-formed request line is returned unchanged (same bytes)."""
    line = b"GET /sendsms.php?user=a&pwd=b&smsid=1 HTTP/1.1\r\n"
    assert line == repair_request_line(line)


def test_what_is_not_a_request_line_is_left_alone() -> None:
    """Header lines and garbage pass through; the HTTP parser judges them."""
    for line in (b"Host: x y\r\n", b"\xff\xfe garbage\r\n", b"get /x y HTTP/1.1\r\n", b"GET\r\n"):
        assert line == repair_request_line(line)


def test_a_raw_hash_is_part_of_the_text() -> None:
    """``#`` in an unencoded text is escaped rather than cutting the query as a fragment."""
    assert b"GET /s?text=%23123 HTTP/1.0\n" == repair_request_line(b"GET /s?text=#123 HTTP/1.0\n")


def test_query_decoding_is_tolerant() -> None:
    """Valid escapes decode, a stray ``%`` stays, ``+`` is a space, raw UTF-8 is kept."""
    raw = "text=100%+off %D0%9A%zz&sadr=Shop&x=Привет".encode()
    assert {"text": "100% off К%zz", "sadr": "Shop", "x": "Привет"} == parse_query(raw)


def test_cp1251_escapes_are_understood() -> None:
    """Bytes that are not UTF-8 are read as Windows-1251 (old Russian clients)."""
    assert {"text": "Код"} == parse_query(b"text=%CA%EE%E4")


def test_the_last_repeated_key_wins_and_blank_keys_are_dropped() -> None:
    """PHP semantics: ``a=1&a=2`` gives 2; ``=x`` and empty pieces are ignored."""
    assert {"a": "2", "b": ""} == parse_query(b"a=1&=x&&a=2&b")


def test_an_unencoded_ampersand_inside_the_text_is_kept() -> None:
    """``text=Tom & Jerry``: the piece without ``=`` belongs to the text."""
    assert {"text": "Tom & Jerry", "dadr": "7"} == parse_query(b"text=Tom & Jerry&dadr=7")


def test_a_value_may_contain_equals_signs() -> None:
    """Only the first ``=`` separates the key."""
    assert {"text": "a=b=c"} == parse_query(b"text=a=b=c")


@given(st.binary(max_size=300))
def test_any_bytes_parse_to_strings(raw: bytes) -> None:
    """Whatever the bytes, the parser gives a str -> str mapping and never raises."""
    params = parse_query(raw)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="&+%\r\n"), max_size=80))
def test_repair_then_parse_gives_back_the_text(text: str) -> None:
    """A text sent raw in the URL reaches the application unchanged (no ``&``, ``+``, ``%``)."""
    line = b"GET /sendsms.php?text=" + text.encode() + b" HTTP/1.1\r\n"
    repaired = repair_request_line(line)
    method, target, version = repaired.split(b" ")
    assert (b"GET", b"HTTP/1.1\r\n") == (method, version)
    assert all(0x21 <= b < 0x7F for b in target)
    assert {"text": text} == parse_query(target.split(b"?", 1)[1])
