"""Composing a message in the cabinet: pasted recipients and the live estimate.

:func:`parse_recipients` takes whatever a person pastes (one number per line, commas,
semicolons, tabs, spaces between numbers, ``+7 (900) 123-45-67`` spellings) and returns the
numbers normalised as the API normalises them, de-duplicated in first-seen order, plus what
could not be read. :func:`estimate` is what the Send page shows while typing: encoding,
characters, parts, and the price for those recipients (longest-prefix price, as acceptance
charges it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ..domain.messages import Channel, check_phone, normalize_phone
from ..domain.money import Money
from ..domain.pricing import PriceList
from ..text.gsm7 import septet_length
from ..text.segments import Encoding, choose_encoding, count_parts, part_limits

__all__ = ["MAX_PASTED_RECIPIENTS", "Estimate", "Recipients", "estimate", "parse_recipients"]

#: Most numbers one Send form takes (the API's own per-request bound).
MAX_PASTED_RECIPIENTS: Final = 10_000
_CHUNKS = re.compile(r"[\n\r,;\t|]+")
_DIGITS_ONLY = re.compile(r"[+()\-.]")


@dataclass(frozen=True, slots=True)
class Recipients:
    phones: list[str]
    invalid: list[str]
    duplicates: int
    too_many: bool = False


def parse_recipients(pasted: str) -> Recipients:
    phones: list[str] = []
    seen: set[str] = set()
    invalid: list[str] = []
    duplicates = 0
    for chunk in _CHUNKS.split(pasted):
        words = chunk.split()
        if not words:
            continue
        squeezed = [_DIGITS_ONLY.sub("", w) for w in words]
        if len(words) > 1 and all(len(w) >= 10 and w.isdigit() for w in squeezed):
            candidates = words  # several full numbers separated by spaces
        else:
            candidates = [chunk]  # one number written with spaces inside
        for raw in candidates:
            phone = normalize_phone(raw.strip())
            if check_phone(phone) is not None:
                if len(invalid) < 100:
                    invalid.append(raw.strip()[:32])
                continue
            if phone in seen:
                duplicates += 1
                continue
            if len(phones) >= MAX_PASTED_RECIPIENTS:
                return Recipients(phones, invalid, duplicates, too_many=True)
            seen.add(phone)
            phones.append(phone)
    return Recipients(phones, invalid, duplicates)


@dataclass(frozen=True, slots=True)
class Estimate:
    encoding: Encoding
    units: int  # characters as the encoding counts them (GSM extension characters count 2)
    parts: int
    per_part: int  # units in each part at this length
    recipients: int
    priced: int  # recipients with a price
    total: Money  # for the priced recipients


def estimate(text: str, phones: Sequence[str], prices: PriceList) -> Estimate:
    encoding = choose_encoding(text)
    units = septet_length(text) if encoding is Encoding.GSM7 else None
    if units is None:
        units = len(text.encode("utf-16-be")) // 2
    parts = count_parts(text)
    single, multi = part_limits(encoding)
    total = Money(0)
    priced = 0
    for phone in phones:
        entry = prices.lookup(phone, Channel.SMS)
        if entry is not None:
            priced += 1
            total = total + entry.price * parts
    return Estimate(
        encoding, units, parts, single if parts == 1 else multi, len(phones), priced, total
    )
