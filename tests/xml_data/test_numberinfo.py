"""X8 number info: operator, region and time zone (offset from Moscow) from numbering data."""

from __future__ import annotations

from datetime import timedelta

from smsrelay.clock import FakeClock, utc
from smsrelay.domain.accounts import Lang
from smsrelay.services.numberinfo import NumberFacts, NumberInfoService

from .conftest import XmlClient

WINTER = utc(2026, 1, 15, 12)
SUMMER = utc(2026, 7, 15, 12)


def test_moscow_mobile_number_in_russian() -> None:
    """A Moscow MTS number: operator, Moscow region, same time as Moscow."""
    numbers = NumberInfoService(FakeClock(WINTER))
    expected = NumberFacts("МТС", "Москва и Московская обл.", timedelta(0))
    assert expected == numbers.describe("79161234567", Lang.RU)


def test_moscow_mobile_number_in_english() -> None:
    """The same number for an English account: English names."""
    numbers = NumberInfoService(FakeClock(WINTER))
    expected = NumberFacts("MTS", "Moscow and Moscow region", timedelta(0))
    assert expected == numbers.describe("+7 916 123-45-67", Lang.EN)


def test_library_carrier_and_geographic_region() -> None:
    """Carrier from the library's data; a Novosibirsk landline is 4 hours ahead of Moscow."""
    numbers = NumberInfoService(FakeClock(WINTER))
    assert "Билайн" == numbers.describe("79612242243", Lang.RU).operator
    novosibirsk = numbers.describe("73832123456", Lang.RU)
    assert NumberFacts(None, "Новосибирская обл.", timedelta(hours=4)) == novosibirsk


def test_russian_mobile_range_spanning_zones_has_no_zone() -> None:
    """A mobile range the data places only in "Russia" (eleven zones) has no single offset."""
    numbers = NumberInfoService(FakeClock(WINTER))
    assert NumberFacts("Tele2", "Россия", None) == numbers.describe("79001234567", Lang.RU)


def test_offset_follows_daylight_saving_abroad() -> None:
    """Offsets are computed at the current instant: Berlin is -2 h in winter, -1 h in summer."""
    clock = FakeClock(WINTER)
    numbers = NumberInfoService(clock)
    assert timedelta(hours=-2) == numbers.describe("4915112345678", Lang.EN).moscow_offset
    clock.advance((SUMMER - WINTER).total_seconds())
    assert timedelta(hours=-1) == numbers.describe("4915112345678", Lang.EN).moscow_offset


def test_unknown_and_malformed_numbers() -> None:
    """Nothing is known about invalid, malformed or overlong numbers."""
    numbers = NumberInfoService(FakeClock(WINTER))
    nothing = NumberFacts(None, None, None)
    for phone in ("99999999999", "12345", "", "abc", "7" * 40):
        assert nothing == numbers.describe(phone, Lang.RU), phone


async def test_def_php_russian_account_with_password(client: XmlClient) -> None:
    """def.php answers each number with operator, region and time_zone, in request order."""
    await client.user("ru1")
    inner = "<phones><phone>79161234567</phone><phone>99999999999</phone></phones>"
    answer = await client.call("/xml/def.php", "ru1", inner, password=True)
    phones = answer.root.findall("phone")
    assert ["79161234567", "99999999999"] == [p.text for p in phones]
    expected_known = {"operator": "МТС", "region": "Москва и Московская обл.", "time_zone": "0"}
    assert expected_known == phones[0].attrib
    unknown = {"operator": "unknown", "region": "unknown", "time_zone": "unknown"}
    assert unknown == phones[1].attrib


async def test_def_php_english_account(client: XmlClient) -> None:
    """An English account gets English names."""
    await client.user("en1", lang=Lang.EN)
    answer = await client.call("/xml/def.php", "en1", "<phones><phone>79612242243</phone></phones>")
    phone = answer.root.find("phone")
    assert phone is not None
    assert "Beeline" == phone.get("operator")
    assert "Russia" == phone.get("region")
