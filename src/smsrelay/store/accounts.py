"""Accounts, money, prices, senders and stop lists (the ``AccountStore`` port).

Money moves only together with a ``ledger`` row, in the same transaction. The price list is
cached per process and reloaded only when ``meta.prices_version`` changed (every
:meth:`SqlAccountStore.set_price` bumps it atomically).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Row, String, cast, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from ..domain.accounts import Account, Lang
from ..domain.messages import Channel
from ..domain.money import Money
from ..domain.pricing import PriceEntry, PriceList
from ..domain.senders import Sender, SenderState
from ..services.ports import AccountRecord
from .database import Database
from .schema import PRICES_VERSION_KEY, accounts, ledger, meta, prices, senders, stop_list

__all__ = [
    "PRICES_VERSION",
    "PriceCache",
    "SqlAccountStore",
    "account_from_row",
    "dialect_insert",
]


def dialect_insert(db: Database, table: Any) -> Insert:
    """``INSERT`` with ``ON CONFLICT`` support for the database's dialect."""
    if db.dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def account_from_row(row: Row[*tuple[Any, ...]] | Mapping[str, Any]) -> Account:
    m = row._mapping if isinstance(row, Row) else row
    return Account(
        id=int(m["id"]),
        login=m["login"],
        lang=Lang(m["lang"]),
        locked=bool(m["locked"]),
        any_sender=bool(m["any_sender"]),
        balance=Money(int(m["balance_micros"])),
        currency=m["currency"],
        parent_id=None if m["parent_id"] is None else int(m["parent_id"]),
        tz_offset_hours=int(m["tz_offset_hours"]),
    )


_VERSION_QUERY = select(meta.c.value).where(meta.c.key == PRICES_VERSION_KEY)

#: The price-list version, as a scalar subquery (callers may fold it into another query).
PRICES_VERSION = _VERSION_QUERY.scalar_subquery()


class PriceCache:
    """The price list, reloaded only when its version in ``meta`` changed."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._prices = PriceList(())
        self._lock = asyncio.Lock()

    async def get(self, conn: AsyncConnection, version: str | None = None) -> PriceList:
        """Current prices, read inside the caller's transaction: the version first (or the
        ``version`` the caller read in this transaction, see :data:`PRICES_VERSION`), then
        the rows only if it changed."""
        if version is None:
            version = await conn.scalar(_VERSION_QUERY)
        version = "0" if version is None else str(version)
        if version == self._version:
            return self._prices
        async with self._lock:
            if version != self._version:
                rows = await conn.execute(select(prices))
                entries = [
                    PriceEntry(
                        prefix=r.prefix,
                        price=Money(int(r.price_micros)),
                        area=r.area,
                        channel=Channel(r.channel),
                    )
                    for r in rows
                ]
                entries.sort(key=lambda e: (e.channel.value, e.prefix))
                self._prices, self._version = PriceList(entries), version
        return self._prices


_ACTIVE = accounts.c.active.is_(True)


class SqlAccountStore:
    """:class:`smsrelay.services.ports.AccountStore` on SQLite or PostgreSQL."""

    def __init__(self, db: Database, prices: PriceCache | None = None) -> None:
        self._db = db
        self._prices = prices or PriceCache()

    # --- lookups ------------------------------------------------------------------------------

    async def _find(self, where: Any) -> AccountRecord | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(accounts).where(where, _ACTIVE))).first()
        if row is None:
            return None
        return AccountRecord(account_from_row(row), row.password_hash, row.token)

    async def find_by_login(self, login: str) -> AccountRecord | None:
        return await self._find(accounts.c.login == login)

    async def find_by_token(self, token: str) -> AccountRecord | None:
        return await self._find(accounts.c.token == token)

    async def get(self, account_id: int) -> Account | None:
        record = await self._find(accounts.c.id == account_id)
        return None if record is None else record.account

    # --- creation and money --------------------------------------------------------------------

    async def create(
        self,
        *,
        login: str,
        password_hash: str,
        token: str | None,
        balance: Money,
        lang: Lang,
        any_sender: bool,
        parent_id: int | None,
        now: datetime,
    ) -> Account:
        """Raises ``LookupError`` if the login (or token) is taken or the parent is unknown."""
        values = {
            "login": login,
            "password_hash": password_hash,
            "token": token,
            "balance_micros": balance.micros,
            "currency": "RUR",
            "lang": lang.value,
            "locked": False,
            "any_sender": any_sender,
            "parent_id": parent_id,
            "tz_offset_hours": 0,
            "active": True,
            "created_at": now,
        }
        try:
            async with self._db.write() as conn:
                await self._check_free(conn, login, token, parent_id)
                new_id = await conn.scalar(insert(accounts).values(values).returning(accounts.c.id))
                assert new_id is not None
                if balance.micros:
                    await conn.execute(
                        insert(ledger).values(
                            account_id=new_id,
                            amount_micros=balance.micros,
                            kind="topup",
                            created_at=now,
                        )
                    )
        except IntegrityError as exc:  # a concurrent create won the race
            raise LookupError(f"login or token already taken: {login!r}") from exc
        return account_from_row({**values, "id": new_id})

    @staticmethod
    async def _check_free(
        conn: AsyncConnection, login: str, token: str | None, parent_id: int | None
    ) -> None:
        taken = accounts.c.login == login
        if token is not None:
            taken = taken | (accounts.c.token == token)
        if await conn.scalar(select(accounts.c.id).where(taken).limit(1)) is not None:
            raise LookupError(f"login or token already taken: {login!r}")
        if parent_id is not None:
            parent = await conn.scalar(select(accounts.c.id).where(accounts.c.id == parent_id))
            if parent is None:
                raise LookupError(f"no parent account {parent_id}")

    async def credit(self, account_id: int, amount: Money, kind: str, now: datetime) -> int:
        """Add (or with a negative amount remove) money; returns the ledger transaction id."""
        if not kind or len(kind) > 16:
            raise ValueError("ledger kind must be 1..16 characters")
        async with self._db.write() as conn:
            changed = await conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(balance_micros=accounts.c.balance_micros + amount.micros)
            )
            if changed.rowcount != 1:
                raise LookupError(f"no account {account_id}")
            ledger_id = await conn.scalar(
                insert(ledger)
                .values(
                    account_id=account_id,
                    amount_micros=amount.micros,
                    kind=kind,
                    created_at=now,
                )
                .returning(ledger.c.id)
            )
        assert ledger_id is not None
        return int(ledger_id)

    async def _set(self, account_id: int, **values: Any) -> None:
        async with self._db.write() as conn:
            changed = await conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(**values)
            )
            if changed.rowcount != 1:
                raise LookupError(f"no account {account_id}")

    async def set_locked(self, account_id: int, locked: bool) -> None:
        await self._set(account_id, locked=locked)

    async def set_any_sender(self, account_id: int, any_sender: bool) -> None:
        await self._set(account_id, any_sender=any_sender)

    async def set_lang(self, account_id: int, lang: Lang) -> None:
        await self._set(account_id, lang=lang.value)

    async def set_tz_offset(self, account_id: int, hours: int) -> None:
        """The account's time zone as hours from Moscow (X18 time, local dates)."""
        await self._set(account_id, tz_offset_hours=hours)

    # --- prices --------------------------------------------------------------------------------

    @property
    def price_cache(self) -> PriceCache:
        return self._prices

    async def price_list(self) -> PriceList:
        async with self._db.read() as conn:
            return await self._prices.get(conn)

    async def set_price(self, entry: PriceEntry) -> None:
        """Insert or replace the price for (prefix, channel); bumps the price-list version."""
        stmt = dialect_insert(self._db, prices).values(
            prefix=entry.prefix,
            channel=entry.channel.value,
            price_micros=entry.price.micros,
            area=entry.area,
        )
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[prices.c.prefix, prices.c.channel],
            set_={"price_micros": entry.price.micros, "area": entry.area},
        )
        bump = (
            update(meta)
            .where(meta.c.key == PRICES_VERSION_KEY)
            .values(value=cast(cast(meta.c.value, BigInteger) + 1, String))
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)
            if (await conn.execute(bump)).rowcount == 0:
                await conn.execute(insert(meta).values(key=PRICES_VERSION_KEY, value="1"))

    # --- senders and stop list -----------------------------------------------------------------

    async def senders(self, account_id: int) -> list[Sender]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(senders).where(senders.c.account_id == account_id).order_by(senders.c.name)
            )
            return [Sender(r.name, SenderState(r.state), r.comment, r.history) for r in rows]

    async def set_sender(self, account_id: int, sender: Sender) -> None:
        """Insert or replace the sender name's state for the account."""
        fields = {"state": sender.state.value, "comment": sender.comment, "history": sender.history}
        stmt = dialect_insert(self._db, senders).values(
            account_id=account_id, name=sender.name, **fields
        )
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[senders.c.account_id, senders.c.name], set_=fields
        )
        try:
            async with self._db.write() as conn:
                await conn.execute(stmt)
        except IntegrityError as exc:
            raise LookupError(f"no account {account_id}") from exc

    async def stop_list(self, account_id: int) -> set[str]:
        async with self._db.read() as conn:
            rows = await conn.scalars(
                select(stop_list.c.phone).where(stop_list.c.account_id == account_id)
            )
            return set(rows)

    async def add_stop(self, account_id: int, phone: str, now: datetime) -> bool:
        """True if the phone was added, False if it was already on the account's stop list."""
        stmt = (
            dialect_insert(self._db, stop_list)
            .values(account_id=account_id, phone=phone, created_at=now)
            .on_conflict_do_nothing(  # type: ignore[attr-defined]
                index_elements=[stop_list.c.account_id, stop_list.c.phone]
            )
        )
        try:
            async with self._db.write() as conn:
                return bool((await conn.execute(stmt)).rowcount == 1)
        except IntegrityError as exc:
            raise LookupError(f"no account {account_id}") from exc
