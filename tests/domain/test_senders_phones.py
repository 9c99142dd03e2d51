"""Sender names (spec §1.10) and phone checks (§1.9 rows 4 and 11)."""

import pytest

from smsrelay.domain.errors import RecipientError
from smsrelay.domain.messages import check_phone, normalize_phone
from smsrelay.domain.senders import check_sender_format


@pytest.mark.parametrize(
    "name", ["MyShop", "A", "12345678901", "123456789012345", "Shop-1 (x)", "a'b\"c?<>"]
)
def test_valid_senders(name: str) -> None:
    """Up to 11 of the allowed characters, or up to 15 digits."""
    assert None is check_sender_format(name)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", RecipientError.NO_SENDER),
        (None, RecipientError.NO_SENDER),
        ("   ", RecipientError.NO_SENDER),
        ("TwelveChars1", RecipientError.SENDER_TOO_LONG),
        ("1234567890123456", RecipientError.SENDER_TOO_LONG),
        ("Магазин", RecipientError.SENDER_TOO_LONG),
    ],
)
def test_invalid_senders(name: str | None, error: RecipientError) -> None:
    """Empty is 'no sender'; too long or foreign characters is the length/character error."""
    assert error == check_sender_format(name)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [("+7 (900) 123-45-67", "79001234567"), (79001234567, "79001234567"), (None, "")],
)
def test_normalize(raw: object, phone: str) -> None:
    """Numbers are international digits without '+'."""
    assert phone == normalize_phone(raw)


@pytest.mark.parametrize(
    ("phone", "error"),
    [
        ("", RecipientError.NO_PHONE),
        ("12ab", RecipientError.NO_PHONE),
        ("123456789012345", RecipientError.PHONE_TOO_LONG),
        ("79001234567", None),
    ],
)
def test_check_phone(phone: str, error: RecipientError | None) -> None:
    """Empty or non-numeric: specify phone; 15 characters or more: too long."""
    assert error == check_phone(phone)
