"""Use case: a reseller credits its own sub-accounts (X20 ``add_balance.php``).

The spec does not say where the money comes from; we decide (docs/compatibility.md): a credit
MOVES money from the reseller to the sub-account (both balances change, a ledger row on each
side, one ``reseller_transactions`` row whose id is ``id_transaction``); ``write_off`` moves it
back. A credit the paying side cannot cover is refused (``NO_MONEY``, ours), a login that is
not one of the reseller's sub-accounts is ``NO_USER``. A whole document is applied in one
transaction, its orders in document order.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Final, Protocol

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.errors import ValidationError
from ..domain.money import Money, MoneyError

__all__ = [
    "TRANSACTION_TYPES",
    "CreditOrder",
    "CreditOutcome",
    "CreditRefusal",
    "ResellerService",
    "ResellerStore",
    "transaction_type",
]

#: X20 ``type_transaction`` values, spelled as the spec lists them; matched case-insensitively.
TRANSACTION_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        name.lower(): name
        for name in (
            "webmoney",
            "manager",
            "roboxchange",
            "cashless",
            "cashless_no_score",
            "Qiwi",
            "yandexmoney",
            "BITCOIN",
            "trust_payment",
            "write_off",
            "subscription",
        )
    }
)
#: The one type that takes money back from the sub-account.
WRITE_OFF: Final = "write_off"
#: Largest single credit (bounds arithmetic; far above any real top-up).
MAX_CREDIT: Final = Money.parse("1000000000")


def transaction_type(raw: str) -> str:
    """The spec's spelling of a ``type_transaction``; ``ValidationError`` if not in the list."""
    try:
        return TRANSACTION_TYPES[raw.strip().lower()]
    except KeyError:
        raise ValidationError("unknown type_transaction") from None


class CreditRefusal(enum.Enum):
    NO_USER = "NO_USER"  # spec X20: not a sub-account of this reseller (or unknown)
    NO_MONEY = "NO_MONEY"  # ours: the paying side's balance does not cover the amount


@dataclass(frozen=True, slots=True)
class CreditOrder:
    login: str
    amount: Money  # positive
    kind: str  # spec spelling, see TRANSACTION_TYPES

    @property
    def write_off(self) -> bool:
        return self.kind == WRITE_OFF

    @classmethod
    def parse(cls, login: str, amount: str, kind: str) -> CreditOrder:
        """From wire strings; ``ValidationError`` for a bad amount or type."""
        try:
            money = Money.parse(amount)
        except MoneyError as exc:
            raise ValidationError("bad amount") from exc
        if money.micros <= 0 or money > MAX_CREDIT:
            raise ValidationError("amount out of range")
        if not login or len(login) > 256:
            raise ValidationError("bad login")
        return cls(login=login, amount=money, kind=transaction_type(kind))


@dataclass(frozen=True, slots=True)
class CreditOutcome:
    login: str
    id_transaction: int | None = None
    refusal: CreditRefusal | None = None


class ResellerStore(Protocol):
    async def credit_clients(
        self, reseller_id: int, orders: Sequence[CreditOrder], now: datetime
    ) -> list[CreditOutcome]: ...


class ResellerService:
    def __init__(self, store: ResellerStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def credit(self, reseller: Account, orders: Sequence[CreditOrder]) -> list[CreditOutcome]:
        """One outcome per order, in order."""
        if not orders:
            return []
        return await self._store.credit_clients(reseller.id, orders, self._clock.now())
