"""Finding 6: only ASCII digits make a phone number, a prefix or a number (``str.isdigit`` and
``int`` also take fullwidth, superscript, Arabic-Indic and Devanagari digits)."""

from __future__ import annotations

import pytest

from e2e.conftest import Platform
from smsrelay.delivery.viber_connector import decode_send_response
from smsrelay.domain.errors import RecipientError
from smsrelay.domain.messages import check_phone, is_ascii_digits, normalize_phone
from smsrelay.domain.money import Money, MoneyError
from smsrelay.domain.pricing import PriceEntry
from smsrelay.services.inbound import NumberError, check_number

#: Each holds at least one digit that is not 0-9 but that ``isdigit`` accepts.
NOT_ASCII = [
    "7\uff19001234567",  # fullwidth nine
    "790012345\u00b2",  # superscript two
    "7900123\u0966\u0967\u0968",  # Devanagari zero one two
    "\u0667\u0669\u0660\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667",  # Arabic-Indic
    "7900\U0001d7ce1234567"[:12],  # mathematical bold zero
]


@pytest.mark.parametrize("raw", NOT_ASCII)
def test_phone_with_non_ascii_digits_is_no_phone(raw: str) -> None:
    assert RecipientError.NO_PHONE == check_phone(normalize_phone(raw))


def test_documented_normalisation_still_applies() -> None:
    assert check_phone(normalize_phone("+7 (900) 123-45-67")) is None


@pytest.mark.parametrize("raw", NOT_ASCII)
def test_inbound_number_refuses_non_ascii_digits(raw: str) -> None:
    with pytest.raises(NumberError):
        check_number(raw)


@pytest.mark.parametrize("text", ["\uff17", "7\u00b2", "\u0967"])
def test_price_prefix_refuses_non_ascii_digits(text: str) -> None:
    with pytest.raises(ValueError):
        PriceEntry(prefix=text, price=Money.parse("1"), area="x")


@pytest.mark.parametrize("text", ["\u0661\u0660", "\uff11", "1e999999", "9" * 400, "1" + "\u0660"])
def test_money_parse_refuses_non_ascii_and_huge_amounts(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text)


@pytest.mark.parametrize(
    ("text", "ok"), [("0123", True), ("", False), ("\uff11", False), ("1\u00b2", False)]
)
def test_is_ascii_digits(text: str, ok: bool) -> None:
    assert ok == is_ascii_digits(text)


async def test_send_to_fullwidth_digits_is_refused_and_not_charged(platform: Platform) -> None:
    """The J1 answer refuses the recipient; the balance does not move."""
    await platform.account("ivan", balance="10")
    info = await platform.send("ivan", NOT_ASCII[0])
    assert "error" in info, info
    assert "id_sms" not in info or not info["id_sms"], info
    balance = await platform.balance("ivan")
    assert "10" == str(balance["money"]).split(".")[0], balance


@pytest.mark.parametrize(
    ("raw", "after"),
    [
        ("3", 3.0),
        ("99", 5.0),
        ("1.5", 1.5),
        ("nan", 1.0),
        ("inf", 1.0),
        ("-5", 1.0),
        ("\u0661\u0662", 1.0),
    ],
)
def test_viber_retry_after_takes_ascii_delta_seconds_only(raw: str, after: float) -> None:
    """A provider's Retry-After of ``nan`` made the retry time NaN (a crash when scheduled)."""
    result = decode_send_response(429, b"{}", {"retry-after": raw})
    assert after == result.retry_after
