"""Use cases: tariffs, their assignment, per-account overrides, reseller statements.

Two callers: the operator (CLI: any tariff, any account; ``owner`` None) and a reseller (its
own tariffs, assigned only to its own sub-accounts: the ``/xml/tariffs.php`` extension beside
X20, docs/billing.md). The default tariff is the platform price list (``smsrelay price set``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.messages import Channel
from ..domain.money import Money
from ..domain.pricing import PriceEntry, PriceList
from .ports import AccountStore

__all__ = [
    "StatementLine",
    "TariffError",
    "TariffInfo",
    "TariffService",
    "TariffStore",
]

#: Tariff names: printable, bounded (they travel in the reseller's XML).
MAX_NAME = 64


class TariffError(Exception):
    """A tariff command cannot be carried out (one clear line for the CLI or the API)."""


@dataclass(frozen=True, slots=True)
class TariffInfo:
    id: int
    name: str
    owner_id: int | None
    entries: tuple[PriceEntry, ...]
    accounts: tuple[str, ...]  # logins it is assigned to


@dataclass(frozen=True, slots=True)
class StatementLine:
    """What one account directly below a reseller sent, net of refunds."""

    login: str
    parts: int
    income: Money  # what it paid the reseller
    cost: Money  # what the reseller paid for it, at its own tariff

    @property
    def margin(self) -> Money:
        return self.income - self.cost


class TariffStore(Protocol):
    async def create(self, name: str, owner_id: int | None, now: datetime) -> int: ...
    async def find(self, name: str, owner_id: int | None) -> int | None: ...
    async def set_price(self, tariff_id: int, entry: PriceEntry) -> None: ...
    async def set_override(self, account_id: int, entry: PriceEntry) -> None: ...
    async def assign(self, account_id: int, tariff_id: int | None) -> None: ...
    async def info(self, tariff_id: int) -> TariffInfo: ...
    async def list_tariffs(self, owner_id: int | None) -> list[tuple[int, str]]: ...
    async def tariff_of(self, account_id: int) -> int | None: ...
    async def overrides(self, account_id: int) -> list[PriceEntry]: ...
    async def price_list(self, account_id: int) -> PriceList: ...
    async def statement(
        self, reseller_id: int, since: datetime, until: datetime
    ) -> list[StatementLine]: ...


def price_entry(prefix: str, price: str | Money, area: str, channel: str = "sms") -> PriceEntry:
    """A validated entry from user input; ``TariffError`` naming what is wrong."""
    try:
        money = price if isinstance(price, Money) else Money.parse(price)
        return PriceEntry(prefix, money, area or prefix or "*", Channel(channel))
    except ValueError as exc:
        raise TariffError(str(exc)) from exc


class TariffService:
    def __init__(self, store: TariffStore, accounts: AccountStore, clock: Clock) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock

    async def _account(self, login: str, reseller: Account | None = None) -> Account:
        record = await self._accounts.find_by_login(login)
        if record is None or (reseller is not None and record.account.parent_id != reseller.id):
            raise TariffError(f"no account with login {login!r}")
        return record.account

    async def reseller(self, login: str) -> Account:
        """The account named ``login`` (acting as the owner of its own tariffs)."""
        return await self._account(login)

    async def _tariff(self, name: str, owner: Account | None) -> int:
        found = await self._store.find(name, None if owner is None else owner.id)
        if found is None:
            raise TariffError(f"no tariff {name!r}")
        return found

    # --- tariffs (operator: owner None; reseller: its own) ------------------------------------

    async def create(self, name: str, owner: Account | None = None) -> int:
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise TariffError(f"tariff name must be 1..{MAX_NAME} printable characters")
        try:
            return await self._store.create(
                name, None if owner is None else owner.id, self._clock.now()
            )
        except LookupError as exc:
            raise TariffError(f"tariff {name!r} exists") from exc

    async def set_price(self, name: str, entry: PriceEntry, owner: Account | None = None) -> None:
        await self._store.set_price(await self._tariff(name, owner), entry)

    async def assign(self, login: str, name: str | None, reseller: Account | None = None) -> None:
        """Give ``login`` the tariff ``name`` (``None``: the default tariff). A reseller may
        assign only its own tariffs, only to its own sub-accounts."""
        account = await self._account(login, reseller)
        tariff = None if name is None else await self._tariff(name, reseller)
        await self._store.assign(account.id, tariff)

    async def override(self, login: str, entry: PriceEntry) -> None:
        """Operator: one prefix priced for one account, over its tariff."""
        account = await self._account(login)
        await self._store.set_override(account.id, entry)

    async def show(self, name: str, owner: Account | None = None) -> TariffInfo:
        return await self._store.info(await self._tariff(name, owner))

    async def names(self, owner: Account | None = None) -> list[str]:
        return [n for _, n in await self._store.list_tariffs(None if owner is None else owner.id)]

    async def account_prices(
        self, login: str, reseller: Account | None = None
    ) -> tuple[str | None, list[PriceEntry], PriceList]:
        """(tariff name or None for the default, overrides, effective list) of an account."""
        account = await self._account(login, reseller)
        tariff = await self._store.tariff_of(account.id)
        name = None if tariff is None else (await self._store.info(tariff)).name
        return (
            name,
            await self._store.overrides(account.id),
            await self._store.price_list(account.id),
        )

    async def statement(
        self, reseller: Account, since: datetime | None = None, until: datetime | None = None
    ) -> Sequence[StatementLine]:
        now = self._clock.now()
        return await self._store.statement(
            reseller.id, since or now - timedelta(days=31), until or now + timedelta(seconds=1)
        )
