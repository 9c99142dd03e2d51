"""Routing an MO to an account (pure), keyword and number validation, and the buffer that
never loses an MO silently when the database fails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from smsrelay.clock import FakeClock
from smsrelay.services.inbound import (
    InboundNumber,
    InboundService,
    MoReceived,
    NumberError,
    StoredMo,
    check_keyword,
    check_number,
    leading_keyword,
    route,
)

NUMBERS = [
    InboundNumber(1, "3443", "IGRA"),
    InboundNumber(2, "3443", "VOTE"),
    InboundNumber(3, "3443", ""),
    InboundNumber(4, "79990001111", ""),
]


@pytest.mark.parametrize(
    ("phone", "text", "expected"),
    [
        ("3443", "igra go", (1, "IGRA")),
        ("3443", "  Vote: 5", (2, "VOTE")),
        ("3443", "VOTE,5", (2, "VOTE")),
        ("3443", "voter 5", (3, "")),  # not the keyword: the dedicated owner takes it
        ("3443", "", (3, "")),
        ("79990001111", "IGRA", (4, "")),  # keywords are per number
        ("5555", "IGRA", (None, "")),
    ],
)
def test_route(phone: str, text: str, expected: tuple[int | None, str]) -> None:
    """Leading keyword (any case, ends at space or , . : ; ! ?) first, then the dedicated owner."""
    assert expected == route(NUMBERS, phone, text)


def test_keyword_and_number_checks() -> None:
    """Keywords are one word, stored upper-case; numbers are 2..15 digits after clean-up."""
    assert "IGRA" == check_keyword(" igra ")
    assert "" == check_keyword(None)
    assert "WORD" == leading_keyword("word. more")
    assert "79990001122" == check_number("+7 (999) 000-11-22")
    for bad in ("two words", "x" * 40):
        with pytest.raises(NumberError):
            check_keyword(bad)
    for bad in ("Shop", "1", "1" * 16):
        with pytest.raises(NumberError):
            check_number(bad)


class FlakyStore:
    """An InboundStore whose first ``failures`` saves fail (a database outage)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.saved: list[MoReceived] = []

    async def save(self, items: Sequence[MoReceived]) -> list[StoredMo]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database down")
        start = len(self.saved)
        self.saved.extend(items)
        return [
            StoredMo(start + i, None, m.originator, m.phone, "", m.text, m.received_at)
            for i, m in enumerate(items, 1)
        ]


async def test_failed_writes_are_retried_with_the_same_messages() -> None:
    """A database failure keeps the buffer; the next try stores every MO exactly once."""
    store = FlakyStore(failures=2)
    service = InboundService(store, FakeClock(), retry_delay=0.0)  # type: ignore[arg-type]
    await service.start()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        service.receive("7916", "100", "a", at)
        service.receive("7916", "100", "b", at)
        await service.flushed()
    finally:
        await service.stop()
    assert ["a", "b"] == [m.text for m in store.saved]
    assert 2 == service.stats["failures"]
    assert 2 == service.stats["unrouted"]


async def test_full_buffer_counts_what_it_refuses() -> None:
    """Past ``max_buffer`` waiting MOs, further ones are refused with a count and a log line."""
    service = InboundService(FlakyStore(0), FakeClock(), max_buffer=1)  # type: ignore[arg-type]
    at = datetime(2026, 1, 1, tzinfo=UTC)
    service.receive("7916", "100", "kept", at)
    service.receive("7916", "100", "refused", at)
    assert 1 == service.stats["overflowed"]
    await service.start()
    await service.flushed()
    await service.stop()
    assert 1 == service.stats["stored"]
