"""Wire date-time parsing and formatting (spec §1.6)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsrelay.api.timefmt import format_wire_datetime, format_wire_time, parse_wire_datetime
from smsrelay.domain.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2001-12-31 15:34:54", datetime(2001, 12, 31, 15, 34, 54)),
        ("2001-12-31 15:34", datetime(2001, 12, 31, 15, 34)),
        ("2001-12-31T15:34:54", datetime(2001, 12, 31, 15, 34, 54)),
        ("2001-12-31T15:34", datetime(2001, 12, 31, 15, 34)),
        ("  2001-12-31 15:34  ", datetime(2001, 12, 31, 15, 34)),
    ],
)
def test_parses_both_documented_precisions(text: str, expected: datetime) -> None:
    """With or without seconds, space or T separator, surrounding blanks ignored."""
    assert expected == parse_wire_datetime(text)


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_means_not_set(text: str) -> None:
    """An empty ``time_send`` means "now" (§1.6): parsed as None."""
    assert None is parse_wire_datetime(text)


@pytest.mark.parametrize(
    "text",
    [
        "2001-12-31",
        "31.12.2001 15:34",
        "2001-12-31 15:34:54.123",
        "2001-13-01 10:00",
        "2001-02-30 10:00",
        "2001-12-31 24:00",
        "2001-12-31 23:60:00",
        "2001-12-31 15:34:5",
        "٢٠٠١-12-31 15:34",
        "2001-12-31 15:34:54" + " " * 40,
        "tomorrow",
    ],
)
def test_anything_else_is_a_validation_error(text: str) -> None:
    """Malformed, out-of-range, non-ASCII digits and overlong inputs are refused."""
    with pytest.raises(ValidationError):
        parse_wire_datetime(text)


def test_formats_with_seconds_and_zero_padding() -> None:
    """Responses always carry ``YYYY-MM-DD HH:MM:SS``."""
    assert "0999-01-02 03:04:05" == format_wire_datetime(datetime(999, 1, 2, 3, 4, 5))


def test_missing_time_formats_as_empty_string() -> None:
    """A status still ``send`` has ``""`` as its time."""
    assert "" == format_wire_time(None)
    assert "2021-04-26 15:15:03" == format_wire_time(datetime(2021, 4, 26, 15, 15, 3))


@given(st.datetimes(min_value=datetime(1000, 1, 1)).map(lambda d: d.replace(microsecond=0)))
def test_format_then_parse_round_trips(moment: datetime) -> None:
    """Every formatted value parses back to itself."""
    assert moment == parse_wire_datetime(format_wire_datetime(moment))
