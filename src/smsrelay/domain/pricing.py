"""Per-destination prices: the longest matching prefix wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .messages import Channel, is_ascii_digits
from .money import Money

__all__ = ["PriceEntry", "PriceList"]


@dataclass(frozen=True, slots=True)
class PriceEntry:
    prefix: str  # digits; "" matches every number
    price: Money  # per message part
    area: str
    channel: Channel = Channel.SMS

    def __post_init__(self) -> None:
        if self.prefix and not is_ascii_digits(self.prefix):
            raise ValueError(f"price prefix must be digits: {self.prefix!r}")
        if self.price.micros <= 0:
            raise ValueError("price must be positive")


class PriceList:
    """Immutable lookup table, built once per price-list version."""

    __slots__ = ("_by_channel", "_entries", "_max_len")

    def __init__(self, entries: Iterable[PriceEntry]) -> None:
        self._entries = tuple(entries)
        self._by_channel: dict[Channel, dict[str, PriceEntry]] = {}
        for e in self._entries:
            self._by_channel.setdefault(e.channel, {})[e.prefix] = e
        self._max_len = max((len(e.prefix) for e in self._entries), default=0)

    @property
    def entries(self) -> tuple[PriceEntry, ...]:
        return self._entries

    def lookup(self, phone: str, channel: Channel = Channel.SMS) -> PriceEntry | None:
        table = self._by_channel.get(channel)
        if not table:
            return None
        for n in range(min(len(phone), self._max_len), -1, -1):
            hit = table.get(phone[:n])
            if hit is not None:
                return hit
        return None
