"""Tariffs, their assignment, per-account overrides and reseller statements (``TariffStore``).

Every change bumps ``meta.tariffs_version`` in the same transaction, so the accept path's
:class:`TariffCache` rebuilds the per-account price lists exactly when something changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.messages import Channel
from ..domain.money import Money
from ..domain.pricing import PriceEntry, PriceList
from ..services.tariffs import StatementLine, TariffInfo
from .accounts import dialect_insert
from .database import Database
from .schema import accounts, meta
from .schema_tariffs import (
    TARIFFS_VERSION_KEY,
    account_prices,
    account_tariffs,
    message_charges,
    tariff_prices,
    tariffs,
)
from .tariff_cache import TariffCache

__all__ = ["SqlTariffStore"]

_BUMP = (
    update(meta)
    .where(meta.c.key == TARIFFS_VERSION_KEY)
    .values(value=cast(cast(meta.c.value, BigInteger) + 1, String))
)


async def _bump(conn: AsyncConnection) -> None:
    if (await conn.execute(_BUMP)).rowcount == 0:
        await conn.execute(insert(meta).values(key=TARIFFS_VERSION_KEY, value="1"))


def _owner_is(owner_id: int | None) -> Any:
    return tariffs.c.owner_id.is_(None) if owner_id is None else tariffs.c.owner_id == owner_id


class SqlTariffStore:
    """:class:`smsrelay.services.tariffs.TariffStore` on SQLite or PostgreSQL."""

    def __init__(self, db: Database, cache: TariffCache | None = None) -> None:
        self._db = db
        self._cache = cache or TariffCache()

    async def create(self, name: str, owner_id: int | None, now: datetime) -> int:
        """A new empty tariff; ``LookupError`` if the owner already has one by that name."""
        try:
            async with self._db.write() as conn:
                taken = await conn.scalar(
                    select(tariffs.c.id).where(tariffs.c.name == name, _owner_is(owner_id))
                )
                if taken is not None:
                    raise LookupError(f"tariff {name!r} exists")
                new_id = await conn.scalar(
                    insert(tariffs)
                    .values(name=name, owner_id=owner_id, created_at=now)
                    .returning(tariffs.c.id)
                )
                await _bump(conn)
        except IntegrityError as exc:
            raise LookupError(f"tariff {name!r} exists") from exc
        assert new_id is not None
        return int(new_id)

    async def find(self, name: str, owner_id: int | None) -> int | None:
        async with self._db.read() as conn:
            found = await conn.scalar(
                select(tariffs.c.id).where(tariffs.c.name == name, _owner_is(owner_id))
            )
        return None if found is None else int(found)

    async def set_price(self, tariff_id: int, entry: PriceEntry) -> None:
        await self._upsert(
            tariff_prices, {"tariff_id": tariff_id}, [tariff_prices.c.tariff_id], entry
        )

    async def set_override(self, account_id: int, entry: PriceEntry) -> None:
        await self._upsert(
            account_prices, {"account_id": account_id}, [account_prices.c.account_id], entry
        )

    async def remove_override(self, account_id: int, prefix: str, channel: str) -> bool:
        async with self._db.write() as conn:
            gone = await conn.execute(
                delete(account_prices).where(
                    account_prices.c.account_id == account_id,
                    account_prices.c.prefix == prefix,
                    account_prices.c.channel == channel,
                )
            )
            await _bump(conn)
        return bool(gone.rowcount)

    async def _upsert(
        self, table: Any, key: dict[str, int], key_columns: list[Any], entry: PriceEntry
    ) -> None:
        fields = {"price_micros": entry.price.micros, "area": entry.area}
        stmt = dialect_insert(self._db, table).values(
            **key, prefix=entry.prefix, channel=entry.channel.value, **fields
        )
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[*key_columns, table.c.prefix, table.c.channel], set_=fields
        )
        try:
            async with self._db.write() as conn:
                await conn.execute(stmt)
                await _bump(conn)
        except IntegrityError as exc:
            raise LookupError(f"no such tariff or account: {key}") from exc

    async def assign(self, account_id: int, tariff_id: int | None) -> None:
        """Give the account a tariff (``None``: back to the default tariff)."""
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    delete(account_tariffs).where(account_tariffs.c.account_id == account_id)
                )
                if tariff_id is not None:
                    await conn.execute(
                        insert(account_tariffs).values(account_id=account_id, tariff_id=tariff_id)
                    )
                await _bump(conn)
        except IntegrityError as exc:
            raise LookupError("no such tariff or account") from exc

    async def info(self, tariff_id: int) -> TariffInfo:
        async with self._db.read() as conn:
            row = (await conn.execute(select(tariffs).where(tariffs.c.id == tariff_id))).first()
            if row is None:
                raise LookupError(f"no tariff {tariff_id}")
            entries = [
                PriceEntry(r.prefix, Money(int(r.price_micros)), r.area, Channel(r.channel))
                for r in await conn.execute(
                    select(tariff_prices)
                    .where(tariff_prices.c.tariff_id == tariff_id)
                    .order_by(tariff_prices.c.channel, tariff_prices.c.prefix)
                )
            ]
            holders = list(
                await conn.scalars(
                    select(accounts.c.login)
                    .join(account_tariffs, account_tariffs.c.account_id == accounts.c.id)
                    .where(account_tariffs.c.tariff_id == tariff_id)
                    .order_by(accounts.c.login)
                )
            )
        owner = None if row.owner_id is None else int(row.owner_id)
        return TariffInfo(int(row.id), row.name, owner, tuple(entries), tuple(holders))

    async def list_tariffs(self, owner_id: int | None) -> list[tuple[int, str]]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(tariffs.c.id, tariffs.c.name)
                .where(_owner_is(owner_id))
                .order_by(tariffs.c.name)
            )
            return [(int(r.id), r.name) for r in rows]

    async def tariff_of(self, account_id: int) -> int | None:
        async with self._db.read() as conn:
            found = await conn.scalar(
                select(account_tariffs.c.tariff_id).where(
                    account_tariffs.c.account_id == account_id
                )
            )
        return None if found is None else int(found)

    async def overrides(self, account_id: int) -> list[PriceEntry]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(account_prices)
                .where(account_prices.c.account_id == account_id)
                .order_by(account_prices.c.channel, account_prices.c.prefix)
            )
            return [
                PriceEntry(r.prefix, Money(int(r.price_micros)), r.area, Channel(r.channel))
                for r in rows
            ]

    async def price_list(self, account_id: int) -> PriceList:
        """The account's effective price list (tariff or default, with its overrides)."""
        async with self._db.read() as conn:
            await self._cache.refresh(conn)
            return self._cache.price_list(account_id)

    async def statement(
        self, reseller_id: int, since: datetime, until: datetime
    ) -> list[StatementLine]:
        """Per account directly below: parts, what it paid the reseller, what the reseller
        paid, for messages accepted in [since, until) and still charged (net of refunds)."""
        income = func.sum(message_charges.c.parts * message_charges.c.income_micros)
        cost = func.sum(message_charges.c.parts * message_charges.c.price_micros)
        query = (
            select(
                accounts.c.login,
                func.sum(message_charges.c.parts).label("parts"),
                income.label("income"),
                cost.label("cost"),
            )
            .join(accounts, accounts.c.id == message_charges.c.child_id)
            .where(
                message_charges.c.account_id == reseller_id,
                message_charges.c.created_at >= since,
                message_charges.c.created_at < until,
            )
            .group_by(accounts.c.login)
            .order_by(accounts.c.login)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            StatementLine(
                login=r.login,
                parts=int(r.parts or 0),
                income=Money(int(r.income or 0)),
                cost=Money(int(r.cost or 0)),
            )
            for r in rows
        ]
