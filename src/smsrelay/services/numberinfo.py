"""What is known about a phone number (X8 ``def.php``; X12 fills subscribers' region/operator).

The numbering data is the ``phonenumbers`` library's (Google's libphonenumber metadata): the
carrier that was assigned the number range, the geographic description and the IANA time zones
of the range, in Russian or English. Its data for Russian mobile ranges is thin (several large
DEF codes have no carrier, and every Russian mobile number is described only as "Russia" with
all eleven Russian time zones), so a small table of Russian DEF codes whose whole range belongs
to one operator in one region (:data:`RU_DEF_SUPPLEMENT`) completes it.

The time zone is answered as the offset from Moscow in hours (spec X8), computed with
``zoneinfo`` at the current instant (so daylight saving abroad is honoured); a number whose range
spans zones of different offsets has no single answer and its zone is unknown.
Lookups are cached (LRU) per (number, language); only the offset is computed per call.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from ..clock import Clock
from ..domain.accounts import Lang
from ..domain.messages import normalize_phone

__all__ = ["RU_DEF_SUPPLEMENT", "DefRange", "NumberFacts", "NumberInfoService"]

_MOSCOW = ZoneInfo("Europe/Moscow")
_UNKNOWN_ZONE = "Etc/Unknown"
#: Longest input looked up; anything longer is unknown without parsing (E.164 has 15 digits).
_MAX_DIGITS = 15


@dataclass(frozen=True, slots=True)
class DefRange:
    """One Russian DEF code (the 3 digits after ``7``) held whole by one operator in one region."""

    operator_ru: str
    operator_en: str
    region_ru: str
    region_en: str
    zone: str  # IANA


_MOSCOW_REGION = ("Москва и Московская обл.", "Moscow and Moscow region")

#: Mobile DEF codes of the Moscow area, each allocated in full to one operator (Rossvyaz plan).
#: Keys are number prefixes in international form.
RU_DEF_SUPPLEMENT: Mapping[str, DefRange] = MappingProxyType(
    {
        "7916": DefRange("МТС", "MTS", *_MOSCOW_REGION, "Europe/Moscow"),
        "7985": DefRange("МТС", "MTS", *_MOSCOW_REGION, "Europe/Moscow"),
        "7925": DefRange("МегаФон", "MegaFon", *_MOSCOW_REGION, "Europe/Moscow"),
        "7926": DefRange("МегаФон", "MegaFon", *_MOSCOW_REGION, "Europe/Moscow"),
        "7977": DefRange("Tele2", "T2", *_MOSCOW_REGION, "Europe/Moscow"),
    }
)


@dataclass(frozen=True, slots=True)
class NumberFacts:
    """What is known about one number; ``None`` for each thing nothing is known about."""

    operator: str | None
    region: str | None
    moscow_offset: timedelta | None  # the number's local time minus Moscow time, now


@dataclass(frozen=True, slots=True)
class _Static:
    operator: str | None
    region: str | None
    zones: tuple[str, ...]


_NOTHING = _Static(None, None, ())


class NumberInfoService:
    """Operator, region and time zone of phone numbers, from the numbering data."""

    def __init__(
        self,
        clock: Clock,
        supplement: Mapping[str, DefRange] = RU_DEF_SUPPLEMENT,
        cache_size: int = 65_536,
    ) -> None:
        self._clock = clock
        self._supplement = supplement
        self._static = functools.lru_cache(maxsize=cache_size)(self._lookup)

    def describe(self, phone: str, lang: Lang) -> NumberFacts:
        """Facts about ``phone`` (international form, ``+``/spaces tolerated) in ``lang``."""
        digits = normalize_phone(phone)
        if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_DIGITS:
            return NumberFacts(None, None, None)
        found = self._static(digits, lang)
        return NumberFacts(found.operator, found.region, self._offset(found.zones))

    def _offset(self, zones: tuple[str, ...]) -> timedelta | None:
        now = self._clock.now()
        offsets = set()
        for name in zones:
            try:
                offset = now.astimezone(ZoneInfo(name)).utcoffset()
            except (ZoneInfoNotFoundError, ValueError):
                return None
            offsets.add(offset)
        if len(offsets) != 1:
            return None
        (offset,) = offsets
        moscow = now.astimezone(_MOSCOW).utcoffset()
        if offset is None or moscow is None:  # pragma: no cover - aware zones always have one
            return None
        return offset - moscow

    def _lookup(self, digits: str, lang: Lang) -> _Static:
        # The carrier, geocoder and time-zone tables take ~115 MB: load them on first use only.
        from phonenumbers import carrier, geocoder, timezone

        try:
            number = phonenumbers.parse("+" + digits)
        except phonenumbers.NumberParseException:
            return _NOTHING
        if not phonenumbers.is_valid_number(number):
            return _NOTHING
        locale = lang.value
        operator = carrier.name_for_number(number, locale) or None
        region = geocoder.description_for_number(number, locale) or None
        zones = tuple(z for z in timezone.time_zones_for_number(number) if z != _UNKNOWN_ZONE)
        extra = self._supplement_for(digits)
        if extra is not None:
            english = lang is Lang.EN
            operator = operator or (extra.operator_en if english else extra.operator_ru)
            country = geocoder.country_name_for_number(number, locale) or None
            if region is None or region == country:
                region = extra.region_en if english else extra.region_ru
            if len(zones) != 1:
                zones = (extra.zone,)
        return _Static(operator, region, zones)

    def _supplement_for(self, digits: str) -> DefRange | None:
        for length in range(len(digits), 0, -1):
            found = self._supplement.get(digits[:length])
            if found is not None:
                return found
        return None
