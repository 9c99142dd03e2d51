"""Per-account price lists for the accept path, rebuilt only when a version changed.

An account's price list is its assigned tariff (or the default tariff, the ``prices`` table)
with its per-account overrides laid over it. Everything is loaded once per
(``prices_version``, ``tariffs_version``) pair; the lists are built lazily per account and
shared (an account without tariff or override gets the default list itself). The reseller
tree (``accounts.parent_id``, set once at creation) is learnt from the rows the accept path
locks and kept for the life of the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.acceptance import MAX_RESELLER_DEPTH, Upstream
from ..domain.messages import Channel
from ..domain.money import Money
from ..domain.pricing import PriceEntry, PriceList
from .accounts import PriceCache
from .schema import meta
from .schema_tariffs import TARIFFS_VERSION_KEY, account_prices, account_tariffs, tariff_prices

__all__ = ["TARIFFS_VERSION", "TariffCache", "merge_prices"]

#: The tariffs version as a scalar subquery (the accept path folds it into its lock query).
TARIFFS_VERSION = select(meta.c.value).where(meta.c.key == TARIFFS_VERSION_KEY).scalar_subquery()


def merge_prices(base: Iterable[PriceEntry], overrides: Iterable[PriceEntry]) -> PriceList:
    """``base`` with each (prefix, channel) of ``overrides`` replacing or adding an entry."""
    merged = {(e.prefix, e.channel): e for e in base}
    for e in overrides:
        merged[(e.prefix, e.channel)] = e
    return PriceList(sorted(merged.values(), key=lambda e: (e.channel.value, e.prefix)))


def _entry(row: object) -> PriceEntry:
    return PriceEntry(
        prefix=row.prefix,  # type: ignore[attr-defined]
        price=Money(int(row.price_micros)),  # type: ignore[attr-defined]
        area=row.area,  # type: ignore[attr-defined]
        channel=Channel(row.channel),  # type: ignore[attr-defined]
    )


class TariffCache:
    """Price lists per account and the reseller tree, read inside the caller's transaction."""

    def __init__(self, prices: PriceCache | None = None) -> None:
        self._prices = prices or PriceCache()
        self._version: tuple[str, str] | None = None
        self._assigned: dict[int, int] = {}  # account -> tariff
        self._tariffs: dict[int, list[PriceEntry]] = {}
        self._overrides: dict[int, list[PriceEntry]] = {}
        self._lists: dict[int, PriceList] = {}  # account -> effective list (this version)
        self._tariff_lists: dict[int, PriceList] = {}
        self._default = PriceList(())
        self._parents: dict[int, int | None] = {}
        self._lock = asyncio.Lock()

    @property
    def prices(self) -> PriceCache:
        return self._prices

    async def refresh(
        self,
        conn: AsyncConnection,
        prices_version: str | None = None,
        tariffs_version: str | None = None,
        *,
        read_versions: bool = True,
    ) -> None:
        """Reload if either version changed (read here unless the caller passes both)."""
        if read_versions:
            prices_version = await conn.scalar(
                select(meta.c.value).where(meta.c.key == "prices_version")
            )
            tariffs_version = await conn.scalar(
                select(meta.c.value).where(meta.c.key == TARIFFS_VERSION_KEY)
            )
        version = (str(prices_version or "0"), str(tariffs_version or "0"))
        self._default = await self._prices.get(conn, version[0])
        if version == self._version:
            return
        async with self._lock:
            if version == self._version:
                return
            assigned = {
                int(r.account_id): int(r.tariff_id)
                for r in await conn.execute(select(account_tariffs))
            }
            by_tariff: dict[int, list[PriceEntry]] = {}
            for r in await conn.execute(select(tariff_prices)):
                by_tariff.setdefault(int(r.tariff_id), []).append(_entry(r))
            overrides: dict[int, list[PriceEntry]] = {}
            for r in await conn.execute(select(account_prices)):
                overrides.setdefault(int(r.account_id), []).append(_entry(r))
            self._assigned, self._tariffs, self._overrides = assigned, by_tariff, overrides
            self._lists, self._tariff_lists = {}, {}
            self._version = version

    def is_current(self, prices_version: str | None, tariffs_version: str | None) -> bool:
        """Whether the lists are those of these versions (read in the caller's transaction):
        then :meth:`price_list` needs no :meth:`refresh`."""
        return (str(prices_version or "0"), str(tariffs_version or "0")) == self._version

    def price_list(self, account_id: int) -> PriceList:
        """The account's effective list (after :meth:`refresh` in this transaction)."""
        found = self._lists.get(account_id)
        if found is not None:
            return found
        tariff = self._assigned.get(account_id)
        base = self._default if tariff is None else self._tariff_list(tariff)
        extra = self._overrides.get(account_id)
        found = base if not extra else merge_prices(base.entries, extra)
        self._lists[account_id] = found
        return found

    def _tariff_list(self, tariff: int) -> PriceList:
        found = self._tariff_lists.get(tariff)
        if found is None:
            found = self._tariff_lists[tariff] = merge_prices(self._tariffs.get(tariff, ()), ())
        return found

    def known_ancestors(self, account_ids: Iterable[int]) -> set[int]:
        """The resellers above ``account_ids`` this process already knows of."""
        out: set[int] = set()
        for a in account_ids:
            parent, depth = self._parents.get(a), 0
            while parent is not None and depth < MAX_RESELLER_DEPTH:
                out.add(parent)
                parent, depth = self._parents.get(parent), depth + 1
        return out

    def learn(self, account_id: int, parent_id: int | None) -> None:
        """Record an account's parent (read with its row; it never changes)."""
        self._parents[account_id] = parent_id

    def missing_ancestors(self, account_ids: Iterable[int], have: Iterable[int]) -> set[int]:
        """Resellers above ``account_ids`` (by what is learnt) that are not in ``have``."""
        return self.known_ancestors(account_ids) - set(have)

    def upstream(self, account_id: int, rows: Mapping[int, Any]) -> tuple[Upstream, ...]:
        """What each reseller above ``account_id`` charges and holds, nearest first, from the
        resellers' account rows locked by the caller's transaction (a missing row: locked)."""
        levels = []
        for parent in self.chain(account_id):
            row = rows.get(parent)
            levels.append(
                Upstream(
                    account_id=parent,
                    prices=self.price_list(parent),
                    balance=Money(int(row.balance_micros) if row is not None else 0),
                    locked=row is None or bool(row.locked) or not row.active,
                )
            )
        return tuple(levels)

    def chain(self, account_id: int) -> tuple[int, ...]:
        """The account's resellers, nearest first (at most :data:`MAX_RESELLER_DEPTH`)."""
        chain: list[int] = []
        parent = self._parents.get(account_id)
        while parent is not None and len(chain) < MAX_RESELLER_DEPTH:
            chain.append(parent)
            parent = self._parents.get(parent)
        return tuple(chain)
