"""Money is exact integer micro-units."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsrelay.domain.money import Money, MoneyError


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("10.6", 10_600_000),
        ("0", 0),
        ("-3", -3_000_000),
        ("0.000001", 1),
        ("19023,9", 19_023_900_000),
    ],
)
def test_parse(text: str, micros: int) -> None:
    """Decimal strings (dot or comma) parse exactly."""
    assert Money(micros) == Money.parse(text)


@pytest.mark.parametrize("text", ["", "abc", "1.0000001", "NaN", "Infinity"])
def test_parse_refuses(text: str) -> None:
    """Garbage, non-finite values and sub-micro precision are refused, never rounded."""
    with pytest.raises(MoneyError):
        Money.parse(text)


def test_format() -> None:
    """Shortest form by default; fixed places on request (J2 shows 7 decimals)."""
    assert "10.6" == Money.parse("10.6").format()
    assert "10.6000000" == Money.parse("10.6").format(7)
    assert "1000" == Money.parse("1000.00").format()
    assert "0" == Money(0).format()


def test_affordable() -> None:
    """How many parts the money buys (spec X4 worked example: 10 at 1 and 2 -> 10 and 5)."""
    assert 10 == Money.parse("10").times_affordable(Money.parse("1"))
    assert 5 == Money.parse("10").times_affordable(Money.parse("2"))
    assert 0 == Money.parse("-1").times_affordable(Money.parse("2"))


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_roundtrip(micros: int) -> None:
    """format then parse gives the same amount."""
    m = Money(micros)
    assert m == Money.parse(m.format())
    assert m.decimal == Decimal(m.format())


def test_no_float() -> None:
    """A float never becomes money."""
    with pytest.raises(MoneyError):
        Money(1.5)  # type: ignore[arg-type]
