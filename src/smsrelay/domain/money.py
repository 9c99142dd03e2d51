"""Exact money: integer micro-units (1e-6 of the currency unit). Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["MICROS", "Money", "MoneyError"]

MICROS = 1_000_000
#: Longest amount text looked at, and the largest power of ten accepted (10^15 units).
_MAX_AMOUNT_CHARS = 64
_MAX_AMOUNT_DIGITS = 15


class MoneyError(ValueError):
    """An amount could not be understood."""


@dataclass(frozen=True, slots=True, order=True)
class Money:
    micros: int

    def __post_init__(self) -> None:
        if not isinstance(self.micros, int) or isinstance(self.micros, bool):
            raise MoneyError(f"money must be integer micro-units, got {self.micros!r}")

    @classmethod
    def parse(cls, text: str | int | Decimal) -> Money:
        """Parse ``"10.6"``, ``"-3"``, ``Decimal("0.0035")``; more than 6 decimals is refused."""
        if isinstance(text, float):  # pragma: no cover - guarded by type, kept for callers
            raise MoneyError("money is never a float")
        raw = str(text).strip().replace(",", ".")
        if not raw.isascii() or len(raw) > _MAX_AMOUNT_CHARS:  # Decimal takes any script's digits
            raise MoneyError("not an amount")
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise MoneyError(f"not an amount: {text!r}") from exc
        if not value.is_finite() or value.adjusted() > _MAX_AMOUNT_DIGITS:
            raise MoneyError("not an amount")
        scaled = value * MICROS
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"too many decimals: {text!r}")
        return cls(int(scaled))

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    def __add__(self, other: Money) -> Money:
        return Money(self.micros + other.micros)

    def __sub__(self, other: Money) -> Money:
        return Money(self.micros - other.micros)

    def __mul__(self, n: int) -> Money:
        return Money(self.micros * n)

    def __neg__(self) -> Money:
        return Money(-self.micros)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.micros) / MICROS

    def format(self, places: int | None = None) -> str:
        """``Money(10_600_000).format()`` -> ``"10.6"``; ``format(7)`` -> ``"10.6000000"``."""
        d = self.decimal
        if places is not None:
            return str(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
        text = format(d.normalize(), "f")
        return text

    def __str__(self) -> str:
        return self.format()

    def times_affordable(self, price: Money) -> int:
        """How many items of ``price`` this amount buys (0 for a non-positive balance)."""
        if price.micros <= 0:
            raise MoneyError("price must be positive")
        return max(self.micros, 0) // price.micros
