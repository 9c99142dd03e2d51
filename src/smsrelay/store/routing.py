"""Connectors, routes, route prices and rate limits (the ``RoutingStore`` port).

Every change bumps ``meta.routing_version`` in the same transaction, so a poller that sees
the version unchanged knows nothing changed. :meth:`SqlRoutingStore.reprice` is the one
hot-path method: one transaction per batch of submit outcomes, never per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Row,
    String,
    and_,
    bindparam,
    cast,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.messages import Channel
from ..domain.money import Money
from ..services.routing import (
    ConnectorSpec,
    RateLimit,
    Reprice,
    RoutePrice,
    RouteSpec,
    RoutingConfig,
)
from .accounts import dialect_insert
from .database import Database
from .ledger import BALANCE_CHANGE
from .resale import restate_resale
from .schema import accounts, ledger, messages, meta
from .schema_routing import (
    ROUTING_VERSION_KEY,
    rate_limits,
    routing_connectors,
    routing_prices,
    routing_routes,
)

__all__ = ["SqlRoutingStore"]

_VERSION = select(meta.c.value).where(meta.c.key == ROUTING_VERSION_KEY)
_BUMP = (
    update(meta)
    .where(meta.c.key == ROUTING_VERSION_KEY)
    .values(value=cast(cast(meta.c.value, BigInteger) + 1, String))
)
_CONNECTOR_FIELDS = (
    "host",
    "port",
    "system_id",
    "password",
    "system_type",
    "bind",
    "window",
    "throughput",
    "concat",
    "encoding",
    "binds",
    "source_ton",
    "source_npi",
    "dest_ton",
    "dest_npi",
)
_SET_PRICE = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(price_micros=bindparam("b_price"), parts=bindparam("b_parts"))
)


async def _bump(conn: AsyncConnection) -> None:
    if (await conn.execute(_BUMP)).rowcount == 0:
        await conn.execute(insert(meta).values(key=ROUTING_VERSION_KEY, value="1"))


def _connector(row: Row[*tuple[Any, ...]]) -> ConnectorSpec:
    m = row._mapping
    return ConnectorSpec(name=m["name"], **{k: m[k] for k in _CONNECTOR_FIELDS})


class SqlRoutingStore:
    """:class:`smsrelay.services.routing.RoutingStore` on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def version(self) -> str:
        async with self._db.read() as conn:
            value = await conn.scalar(_VERSION)
        return "0" if value is None else str(value)

    async def load(self) -> RoutingConfig:
        """The whole configuration, read in one snapshot with its version."""
        async with self._db.read() as conn:
            version = await conn.scalar(_VERSION)
            connectors = [
                _connector(r)
                for r in await conn.execute(
                    select(routing_connectors).order_by(routing_connectors.c.name)
                )
            ]
            route_rows = await conn.execute(
                select(routing_routes, accounts.c.login)
                .select_from(routing_routes.outerjoin(accounts))
                .order_by(routing_routes.c.prefix, routing_routes.c.id)
            )
            routes = [
                RouteSpec(
                    prefix=r.prefix,
                    connectors=tuple(r.connectors.split(",")),
                    account_id=None if r.account_id is None else int(r.account_id),
                    operator=r.operator,
                    failover_on_undeliv=bool(r.failover_on_undeliv),
                    account=r.login or "",
                )
                for r in route_rows
            ]
            prices = [
                RoutePrice(r.connector, r.prefix, Money(int(r.price_micros)))
                for r in await conn.execute(
                    select(routing_prices).order_by(
                        routing_prices.c.connector, routing_prices.c.prefix
                    )
                )
            ]
            limit_rows = await conn.execute(
                select(rate_limits, accounts.c.login)
                .select_from(rate_limits.join(accounts))
                .order_by(rate_limits.c.account_id, rate_limits.c.sender)
            )
            limits = [
                RateLimit(int(r.account_id), r.sender, float(r.parts_per_s), r.login)
                for r in limit_rows
            ]
        return RoutingConfig(
            version="0" if version is None else str(version),
            connectors=tuple(connectors),
            routes=tuple(routes),
            prices=tuple(prices),
            limits=tuple(limits),
        )

    async def put_connector(self, spec: ConnectorSpec) -> None:
        async with self._db.write() as conn:
            await self._put_connector(conn, spec)
            await _bump(conn)

    async def _put_connector(self, conn: AsyncConnection, spec: ConnectorSpec) -> None:
        values = {k: getattr(spec, k) for k in _CONNECTOR_FIELDS}
        values = {k: v.value if hasattr(v, "value") else v for k, v in values.items()}
        stmt = dialect_insert(self._db, routing_connectors).values(name=spec.name, **values)
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[routing_connectors.c.name], set_=values
        )
        await conn.execute(stmt)

    async def put_all(
        self, connectors: Sequence[ConnectorSpec], routes: Sequence[RouteSpec]
    ) -> None:
        """Add or replace the connectors, then the routes, in ONE transaction (a config file:
        all of it is stored, or nothing)."""
        async with self._db.write() as conn:
            for spec in connectors:
                await self._put_connector(conn, spec)
            for route in routes:
                await self._put_route(conn, route)
            await _bump(conn)

    async def remove_connector(self, name: str) -> bool:
        async with self._db.write() as conn:
            gone = (
                await conn.execute(
                    delete(routing_connectors).where(routing_connectors.c.name == name)
                )
            ).rowcount
            if gone:
                await _bump(conn)
        return bool(gone)

    def _route_key(self, prefix: str, account_id: int | None, operator: str) -> Any:
        account = (
            routing_routes.c.account_id.is_(None)
            if account_id is None
            else routing_routes.c.account_id == account_id
        )
        return and_(
            routing_routes.c.prefix == prefix, account, routing_routes.c.operator == operator
        )

    async def put_route(self, spec: RouteSpec) -> None:
        """Insert or replace the route for (prefix, account, operator)."""
        async with self._db.write() as conn:
            await self._put_route(conn, spec)
            await _bump(conn)

    async def _put_route(self, conn: AsyncConnection, spec: RouteSpec) -> None:
        await conn.execute(delete(routing_routes).where(self._route_key(*spec.key)))
        await conn.execute(
            insert(routing_routes).values(
                prefix=spec.prefix,
                account_id=spec.account_id,
                operator=spec.operator,
                connectors=",".join(spec.connectors),
                failover_on_undeliv=spec.failover_on_undeliv,
            )
        )

    async def remove_route(self, prefix: str, account_id: int | None, operator: str) -> bool:
        async with self._db.write() as conn:
            gone = (
                await conn.execute(
                    delete(routing_routes).where(self._route_key(prefix, account_id, operator))
                )
            ).rowcount
            if gone:
                await _bump(conn)
        return bool(gone)

    async def put_route_price(self, price: RoutePrice) -> None:
        stmt = dialect_insert(self._db, routing_prices).values(
            connector=price.connector, prefix=price.prefix, price_micros=price.price.micros
        )
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[routing_prices.c.connector, routing_prices.c.prefix],
            set_={"price_micros": price.price.micros},
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)
            await _bump(conn)

    async def set_limit(self, account_id: int, sender: str, parts_per_s: float | None) -> None:
        """Set (or with ``None`` remove) the account's (or one sender's) limit."""
        async with self._db.write() as conn:
            await conn.execute(
                delete(rate_limits).where(
                    rate_limits.c.account_id == account_id, rate_limits.c.sender == sender
                )
            )
            if parts_per_s is not None:
                await conn.execute(
                    insert(rate_limits).values(
                        account_id=account_id, sender=sender, parts_per_s=parts_per_s
                    )
                )
            await _bump(conn)

    async def reprice(self, items: Sequence[Reprice], now: datetime) -> None:
        """Charge what was actually sent: per message, new price x new parts - stored price x
        stored parts, with a ledger row (``charge`` for extra, ``refund`` for a difference given
        back). Idempotent: a message already at the new values is left alone (a resubmit after
        a lease ran out)."""
        if not items:
            return
        wanted = {i.message_id: i for i in items}  # last one wins
        async with self._db.write() as conn:
            query = (
                select(
                    messages.c.id, messages.c.account_id, messages.c.parts, messages.c.price_micros
                )
                .where(self._db.one_of(messages.c.id, sorted(wanted)))
                .order_by(messages.c.id)
            )
            if self._db.dialect == "postgresql":
                query = query.with_for_update()
            changed: list[dict[str, Any]] = []
            resale_parts: dict[int, int] = {}
            resale_price: dict[int, int] = {}
            rows: list[dict[str, Any]] = []
            per_account: dict[int, int] = {}
            for r in await conn.execute(query):
                item = wanted[int(r.id)]
                old_price, old_parts = int(r.price_micros), int(r.parts)
                price = old_price if item.price is None else item.price.micros
                if (price, item.parts) == (old_price, old_parts):
                    continue
                changed.append({"b_id": int(r.id), "b_price": price, "b_parts": item.parts})
                resale_parts[int(r.id)], resale_price[int(r.id)] = item.parts, price
                delta = price * item.parts - old_price * old_parts
                if delta == 0:
                    continue
                account = int(r.account_id)
                per_account[account] = per_account.get(account, 0) - delta
                rows.append(
                    {
                        "account_id": account,
                        "amount_micros": -delta,
                        "kind": "charge" if delta > 0 else "refund",
                        "message_id": int(r.id),
                        "created_at": now,
                    }
                )
            if changed:
                await conn.execute(_SET_PRICE, changed)
                sms = {mid: Channel.SMS.value for mid in resale_parts}  # a cascade's SMS leg
                await restate_resale(conn, self._db, resale_parts, resale_price, now, sms)
            if rows:
                await conn.execute(
                    BALANCE_CHANGE,
                    [{"b_account": a, "b_amount": m} for a, m in sorted(per_account.items())],
                )
                await conn.execute(insert(ledger), rows)
