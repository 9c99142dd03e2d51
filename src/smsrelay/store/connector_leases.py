"""Connector ownership leases (the ``ConnectorLeaseStore`` port) on SQLite or PostgreSQL.

Taking and renewing is ONE statement: ``UPDATE connector_leases SET owner = me ... WHERE
connector IN (...) AND (owner = me OR owner = '' OR expires_at <= now)``. On PostgreSQL a
concurrent taker waits for the row lock and re-checks the condition against the new row (READ
COMMITTED), so two nodes never both win; SQLite has one writer. Rows are created on first
sight (``INSERT ... ON CONFLICT DO NOTHING``), free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, case, literal, or_, select, update

from ..services.ownership import ConnectorLease, LinkReport
from .accounts import dialect_insert
from .database import Database
from .schema import UtcDateTime
from .schema_connector_leases import connector_leases as t

__all__ = ["SqlConnectorLeases"]

_MAX_ERROR = 500  # a link error kept for status: bounded

_REPORT = (
    update(t)
    .where(t.c.connector == bindparam("b_name"), t.c.owner == bindparam("b_owner"))
    .values(bound=bindparam("b_bound"), last_error=bindparam("b_error"))
)


def _lease(row: Row[Any]) -> ConnectorLease:
    return ConnectorLease(
        connector=row.connector,
        owner=row.owner,
        expires_at=row.expires_at,
        acquired_at=row.acquired_at,
        heartbeat_at=row.heartbeat_at,
        bound=int(row.bound),
        last_error=row.last_error,
    )


class SqlConnectorLeases:
    """:class:`smsrelay.services.ownership.ConnectorLeaseStore` on the database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(
        self,
        names: Sequence[str],
        owner: str,
        now: datetime,
        ttl: timedelta,
        reports: Mapping[str, LinkReport] | None = None,
    ) -> list[ConnectorLease]:
        if not owner:
            raise ValueError("a node id is required")
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        wanted = sorted(set(names))
        async with self._db.write() as conn:
            if wanted:
                new = dialect_insert(self._db, t).on_conflict_do_nothing(  # type: ignore[attr-defined]
                    index_elements=[t.c.connector]
                )
                await conn.execute(
                    new,
                    [{"connector": n, "owner": "", "expires_at": now, "bound": 0} for n in wanted],
                )
                await conn.execute(
                    update(t)
                    .where(
                        self._db.one_of(t.c.connector, wanted),
                        or_(t.c.owner == owner, t.c.owner == "", t.c.expires_at <= now),
                    )
                    .values(
                        owner=owner,
                        expires_at=now + ttl,
                        heartbeat_at=now,
                        acquired_at=case(
                            (t.c.owner == owner, t.c.acquired_at), else_=literal(now, UtcDateTime)
                        ),
                    )
                )
            if reports:
                await conn.execute(
                    _REPORT,
                    [
                        {
                            "b_name": name,
                            "b_owner": owner,
                            "b_bound": r.bound,
                            "b_error": r.last_error[:_MAX_ERROR],
                        }
                        for name, r in sorted(reports.items())
                    ],
                )
            rows = (await conn.execute(select(t).order_by(t.c.connector))).all()
        return [_lease(r) for r in rows]

    async def release(self, names: Sequence[str], owner: str, now: datetime) -> None:
        if not names:
            return
        async with self._db.write() as conn:
            await conn.execute(
                update(t)
                .where(self._db.one_of(t.c.connector, sorted(set(names))), t.c.owner == owner)
                .values(owner="", expires_at=now, bound=0)
            )

    async def leases(self) -> list[ConnectorLease]:
        async with self._db.read() as conn:
            rows = (await conn.execute(select(t).order_by(t.c.connector))).all()
        return [_lease(r) for r in rows]
