"""Recipients pasted into the Send form; the live estimate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry, PriceList
from smsrelay.services.compose import estimate, parse_recipients


def test_any_separators_and_spellings() -> None:
    """Lines, commas, semicolons, tabs and spaces between full numbers all separate; spaces,
    brackets and dashes inside one number do not."""
    got = parse_recipients("+7 (900) 123-45-67\n79001234568;79001234569,\t79001234570 79001234571")
    assert [
        "79001234567",
        "79001234568",
        "79001234569",
        "79001234570",
        "79001234571",
    ] == got.phones


def test_duplicates_and_junk() -> None:
    got = parse_recipients("79001234567, +79001234567, hello, 12")
    assert (["79001234567"], ["hello", "12"], 1) == (got.phones, got.invalid, got.duplicates)


@given(st.text(max_size=300))
def test_never_raises_and_never_repeats(pasted: str) -> None:
    """Whatever is pasted: digits-only numbers, each at most once."""
    got = parse_recipients(pasted)
    assert len(set(got.phones)) == len(got.phones)
    assert all(p.isdigit() and 5 <= len(p) < 15 for p in got.phones)


def test_estimate_prices_by_longest_prefix() -> None:
    prices = PriceList(
        [
            PriceEntry(prefix="7", price=Money.parse("1"), area="RU", channel=Channel.SMS),
            PriceEntry(prefix="380", price=Money.parse("2.5"), area="UA", channel=Channel.SMS),
        ]
    )
    est = estimate("x" * 161, ["79001234567", "380501234567", "1555000111"], prices)
    assert (2, 153, 3, 2, Money.parse("7")) == (
        est.parts,
        est.per_part,
        est.recipients,
        est.priced,
        est.total,
    )
