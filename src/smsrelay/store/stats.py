"""Statistics: folding the trigger-fed delta log into the summary, and reading both.

The triggers of migration 0091 append signed deltas; :meth:`SqlStatsStore.fold` moves a batch
of them into the summaries in one transaction, deleting what it folded (set-based SQL,
``store/stats_fold.py``). Readers add the summary and the deltas not folded yet, so an answer
is always exact, folded or not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, cast, func, select, text

from ..domain.money import Money
from ..domain.status import MessageStatus
from ..services.stats import Dimension, MessageFilter, MessageRow, SummaryRow
from .database import Database
from .schema import messages
from .schema_stats import (
    message_stats,
    message_stats_connector,
    message_stats_delta,
    message_stats_hourly,
    message_stats_monthly,
)
from .stats_fold import FOLD_POSTGRES, fold_sqlite

__all__ = ["SqlStatsStore", "connector_counts", "local_day_counts", "report_counts"]


class SqlStatsStore:
    """:class:`smsrelay.services.stats.StatsStore` on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def fold(self, limit: int) -> int:
        """Fold up to ``limit`` of the oldest deltas into the summary."""
        if self._db.has_write_units:  # SQLite: set-based, in the writer thread (one hand-off)
            async with self._db.write_unit() as unit:
                return await unit.commit(lambda con: fold_sqlite(con, limit))
        async with self._db.write() as conn:  # PostgreSQL: one statement, the rows it locked
            return int(await conn.scalar(text(FOLD_POSTGRES), {"limit": limit}) or 0)

    async def summary(
        self, account_id: int, first: date, last: date, group_by: Sequence[Dimension]
    ) -> list[SummaryRow]:
        """Folded counts (monthly rows for the whole months of the period when not grouped by
        day, daily rows for the rest) plus unfolded deltas, each grouped by the database and
        added up here."""
        sums: dict[tuple[str, ...], list[int]] = {}
        reads: list[tuple[Any, str, str, str]] = []  # (table, period column, from, to)
        if Dimension.DAY in group_by:
            reads.append((message_stats, "day", first.isoformat(), last.isoformat()))
        else:
            head, months, tail = _split(first, last)
            for day_lo, day_hi in (head, tail):
                if day_lo <= day_hi:
                    reads.append((message_stats, "day", day_lo.isoformat(), day_hi.isoformat()))
            if months is not None:
                reads.append((message_stats_monthly, "month", months[0], months[1]))
        reads.append((message_stats_delta, "day", first.isoformat(), last.isoformat()))
        async with self._db.read() as conn:
            for t, period, lo, hi in reads:
                keys = [t.c[d.value] for d in group_by]
                query = (
                    select(
                        *keys,
                        func.sum(t.c.messages).label("n"),
                        func.sum(t.c.parts).label("p"),
                        func.sum(t.c.cost_micros).label("c"),
                    )
                    .where(t.c.account_id == account_id, t.c[period] >= lo, t.c[period] <= hi)
                    .group_by(*keys)
                )
                width = len(keys)
                for r in await conn.execute(query):
                    if r.n is None:
                        continue
                    acc = sums.setdefault(tuple(str(v) for v in r[:width]), [0, 0, 0])
                    acc[0] += int(r.n)
                    acc[1] += int(r.p)
                    acc[2] += int(r.c)
        return [
            SummaryRow(key=key, messages=n, parts=p, cost=Money(c))
            for key, (n, p, c) in sorted(sums.items())
            if n != 0
        ]

    async def messages(self, account_id: int, where: MessageFilter, limit: int) -> list[MessageRow]:
        m = messages
        query = (
            select(
                m.c.id,
                m.c.phone,
                m.c.sender,
                m.c.text,
                m.c.status,
                m.c.status_at,
                m.c.created_at,
                m.c.parts,
                m.c.price_micros,
                m.c.extra,
            )
            .where(
                m.c.account_id == account_id,
                m.c.created_at >= where.since,
                m.c.created_at < where.until,
            )
            .order_by(m.c.id)
            .limit(limit)
        )
        if where.statuses is not None:
            query = query.where(m.c.status.in_(sorted(s.value for s in where.statuses)))
        if where.sender:
            query = query.where(m.c.sender == where.sender)
        if where.phone:
            query = query.where(m.c.phone == where.phone)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        out = []
        for r in rows:
            extra = json.loads(r.extra) if r.extra else {}
            out.append(
                MessageRow(
                    id=int(r.id),
                    phone=r.phone,
                    sender=r.sender,
                    text=r.text,
                    status=MessageStatus(r.status),
                    status_at=r.status_at,
                    created_at=r.created_at,
                    parts=int(r.parts),
                    price=Money(int(r.price_micros)),
                    campaign=str(extra.get("name_delivery") or ""),
                )
            )
        return out


def _split(
    first: date, last: date
) -> tuple[tuple[date, date], tuple[str, str] | None, tuple[date, date]]:
    """[first, last] as: days before the first whole month, the whole months ('YYYY-MM'
    bounds, None if none), days after the last whole month."""
    start = first if first.day == 1 else _next_month(first)
    end = (
        _next_month(last) if _next_month(last) - timedelta(days=1) == last else last.replace(day=1)
    )
    # whole months are [start, end)
    if start >= end:
        return (first, last), None, (last + timedelta(days=1), last)
    head = (first, start - timedelta(days=1))
    tail = (end, last)
    last_month = end - timedelta(days=1)
    return head, (start.isoformat()[:7], last_month.isoformat()[:7]), tail


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


async def local_day_counts(
    db: Database, account_id: int, since: datetime, offset_hours: int
) -> list[tuple[date, str, int, int, int]]:
    """An account's (local day, status, messages, parts, cost micros) from the UTC hour of
    ``since`` on, its days being UTC + ``offset_hours``: the folded hourly rows, grouped into
    local days by the database (about 30 x statuses rows come back, not 24 times as many), plus
    the deltas not folded yet. ``messages`` is never read."""
    first = since.astimezone(UTC).strftime("%Y-%m-%d %H")
    h, d = message_stats_hourly, message_stats_delta
    stamp = h.c.hour.concat(":00")
    local: Any = (
        func.to_char(
            cast(stamp, DateTime) + func.make_interval(0, 0, 0, 0, offset_hours), "YYYY-MM-DD"
        )
        if db.dialect == "postgresql"
        else func.date(stamp, f"{offset_hours:+d} hours")
    )
    folded = (
        select(
            local.label("day"),
            h.c.status,
            func.sum(h.c.messages).label("messages"),
            func.sum(h.c.parts).label("parts"),
            func.sum(h.c.cost_micros).label("cost_micros"),
        )
        .where(h.c.account_id == account_id, h.c.hour >= first)
        .group_by(local, h.c.status)
    )
    pending = (
        select(
            d.c.day,
            d.c.hour,
            d.c.status,
            func.sum(d.c.messages).label("messages"),
            func.sum(d.c.parts).label("parts"),
            func.sum(d.c.cost_micros).label("cost_micros"),
        )
        .where(d.c.account_id == account_id, d.c.day >= first[:10], d.c.hour.is_not(None))
        .group_by(d.c.day, d.c.hour, d.c.status)
    )
    sums: dict[tuple[date, str], list[int]] = {}

    def add(day: date, r: Any) -> None:
        acc = sums.setdefault((day, str(r.status)), [0, 0, 0])
        acc[0] += int(r.messages)
        acc[1] += int(r.parts)
        acc[2] += int(r.cost_micros)

    async with db.read() as conn:
        for r in await conn.execute(folded):
            add(date.fromisoformat(str(r.day)[:10]), r)
        for u in await conn.execute(pending):
            if f"{u.day} {u.hour}" >= first:
                utc_hour = datetime.fromisoformat(f"{u.day}T{u.hour}:00")
                add((utc_hour + timedelta(hours=offset_hours)).date(), u)
    return [(k, s, n, p, c) for (k, s), (n, p, c) in sorted(sums.items()) if n]


async def connector_counts(
    db: Database, first: date, last: date
) -> list[tuple[str, str, int, int, int]]:
    """(connector, status, messages, parts, cost micros) over UTC days [first, last], all
    accounts: folded rows plus unfolded deltas."""
    c, d = message_stats_connector, message_stats_delta
    lo, hi = first.isoformat(), last.isoformat()
    reads = [
        select(
            c.c.connector,
            c.c.status,
            func.sum(c.c.messages).label("n"),
            func.sum(c.c.parts).label("p"),
            func.sum(c.c.cost_micros).label("v"),
        )
        .where(c.c.day >= lo, c.c.day <= hi)
        .group_by(c.c.connector, c.c.status),
        select(
            d.c.connector,  # '' before submission: never NULL once ``hour`` is set
            d.c.status,
            func.sum(d.c.messages).label("n"),
            func.sum(d.c.parts).label("p"),
            func.sum(d.c.cost_micros).label("v"),
        )
        .where(d.c.day >= lo, d.c.day <= hi, d.c.hour.is_not(None))
        .group_by(d.c.connector, d.c.status),
    ]
    sums: dict[tuple[str, str], list[int]] = {}
    async with db.read() as conn:
        for q in reads:
            for r in await conn.execute(q):
                acc = sums.setdefault((str(r.connector), str(r.status)), [0, 0, 0])
                acc[0] += int(r.n or 0)
                acc[1] += int(r.p or 0)
                acc[2] += int(r.v or 0)
    return [(k, s, n, p, v) for (k, s), (n, p, v) in sorted(sums.items()) if n]


async def report_counts(
    db: Database, first: date, last: date, group: str
) -> list[tuple[str, str, int, int, int]]:
    """(key, status, messages, parts, cost micros) over the UTC days [first, last] of every
    account, the key being the ``day``, ``connector``, ``account`` (id) or ``area``: read from
    the summaries (``message_stats_connector`` for day and connector; ``message_stats`` with
    its monthly rows for whole months, for account and area) plus the unfolded deltas."""
    if group == "connector":
        return await connector_counts(db, first, last)
    if group == "day":
        c, d = message_stats_connector, message_stats_delta
        lo, hi = first.isoformat(), last.isoformat()
        reads: list[Any] = [
            _sums(c.c.day, c.c.status, c).where(c.c.day >= lo, c.c.day <= hi),
            _sums(d.c.day, d.c.status, d).where(
                d.c.day >= lo, d.c.day <= hi, d.c.hour.is_not(None)
            ),
        ]
    elif group in ("account", "area"):
        column = "account_id" if group == "account" else "area"
        spans: list[tuple[Any, str, str, str]] = []
        head, months, tail = _split(first, last)
        for day_lo, day_hi in (head, tail):
            if day_lo <= day_hi:
                spans.append((message_stats, "day", day_lo.isoformat(), day_hi.isoformat()))
        if months is not None:
            spans.append((message_stats_monthly, "month", months[0], months[1]))
        spans.append((message_stats_delta, "day", first.isoformat(), last.isoformat()))
        reads = [
            _sums(t.c[column], t.c.status, t).where(t.c[period] >= lo, t.c[period] <= hi)
            for t, period, lo, hi in spans
        ]
    else:
        raise ValueError(f"unknown report group {group!r}")
    sums: dict[tuple[str, str], list[int]] = {}
    async with db.read() as conn:
        for q in reads:
            for r in await conn.execute(q):
                acc = sums.setdefault((str(r.key), str(r.status)), [0, 0, 0])
                acc[0] += int(r.n or 0)
                acc[1] += int(r.p or 0)
                acc[2] += int(r.v or 0)
    return [(k, s, n, p, v) for (k, s), (n, p, v) in sorted(sums.items()) if n]


def _sums(key: Any, status: Any, t: Any) -> Any:
    return select(
        key.label("key"),
        status,
        func.sum(t.c.messages).label("n"),
        func.sum(t.c.parts).label("p"),
        func.sum(t.c.cost_micros).label("v"),
    ).group_by(key, status)
