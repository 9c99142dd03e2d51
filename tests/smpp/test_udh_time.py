"""User data headers for concatenation and SMPP time strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smsrelay.smpp import FieldError, UdhError
from smsrelay.smpp.timefmt import format_absolute, format_relative, parse_time
from smsrelay.smpp.udh import Concat, concat_element, find_concat, join_udh, split_udh


def test_concat_elements_bytes() -> None:
    """IE 0x00 (8-bit ref) and IE 0x08 (16-bit ref) encode as TS 23.040 §9.2.3.24.1/8."""
    assert bytes.fromhex("0003 2a 03 01".replace(" ", "")) == concat_element(42, 3, 1)
    assert bytes.fromhex("0804 1234 03 02".replace(" ", "")) == concat_element(
        0x1234, 3, 2, wide=True
    )


def test_udh_round_trip_with_port_elements() -> None:
    """Concatenation and port elements come back out of a built UDH, and the payload after."""
    ports = bytes.fromhex("05040b8423f0")
    sm = join_udh(concat_element(7, 2, 2) + ports, b"text")
    elements, rest = split_udh(sm)
    assert ((0x00, b"\x07\x02\x02"), (0x05, bytes.fromhex("0b8423f0"))) == elements
    assert (b"text", Concat(7, 2, 2)) == (rest, find_concat(elements))


@pytest.mark.parametrize("sm", [b"", b"\x09\x00\x03", b"\x03\x00\x05\x01", b"\x01\x00"])
def test_bad_udh_raises_udh_error(sm: bytes) -> None:
    """A UDH that overruns the message or an element that overruns the UDH is refused."""
    with pytest.raises(UdhError):
        split_udh(sm)


def test_find_concat_ignores_invalid_elements() -> None:
    """A concatenation element with seq 0 or seq > total is not a concatenation."""
    assert None is find_concat(((0x00, b"\x01\x02\x03"), (0x00, b"\x01\x02\x00")))


def test_absolute_time_is_utc_with_offset_zero() -> None:
    """validity_period absolute format: YYMMDDhhmmss, tenths, 00 quarter-hours, '+'."""
    at = datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)
    assert "260102030405600+" == format_absolute(at)
    assert at == parse_time(format_absolute(at))


def test_time_with_offset_and_relative_time() -> None:
    """An offset of +12 quarter hours is 3 hours ahead of UTC; 'R' is relative to now."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert datetime(2026, 1, 1, 9, 0, tzinfo=UTC) == parse_time("260101120000012+")
    assert now + timedelta(hours=2, minutes=30) == parse_time(
        format_relative(timedelta(hours=2, minutes=30)), now
    )
    assert None is parse_time("")


@pytest.mark.parametrize(
    "value", ["26010112000001+", "260101120000049+", "261301120000000+", "abcdefghijklmnop"]
)
def test_bad_times_raise(value: str) -> None:
    """Malformed SMPP times raise FieldError with ESME_RINVEXPIRY."""
    with pytest.raises(FieldError):
        parse_time(value)
