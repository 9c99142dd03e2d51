"""The statistics fold on SQLite, set-based: one step of plain ``sqlite3`` statements for the
writer thread (``store.sqlite_writer``).

It folds exactly what ``SqlStatsStore.fold`` folds (the oldest ``limit`` deltas into the
daily, monthly, hourly and per-connector summaries, then deletes them), but the sums are
made by SQLite (``INSERT … SELECT … GROUP BY … ON CONFLICT``) instead of reading every delta
into Python. The deltas are taken by id range: under SQLite's single writer every delta
with a smaller id is committed and none can be written while the fold holds the lock.
Groups that sum to nothing write no row.
"""

from __future__ import annotations

import sqlite3

__all__ = ["fold_sqlite"]

_LAST = "SELECT max(id), count(*) FROM (SELECT id FROM message_stats_delta ORDER BY id LIMIT ?)"


def _fold(table: str, columns: dict[str, str], pick: str = "") -> str:
    """``table``'s key columns from delta expressions; the counts added on conflict."""
    keys = ", ".join(columns)
    exprs = ", ".join(columns.values())
    return (
        f"INSERT INTO {table} ({keys}, messages, parts, cost_micros)"
        f" SELECT {exprs}, sum(messages), sum(parts), sum(cost_micros)"
        f" FROM message_stats_delta WHERE id <= ?{pick} GROUP BY {exprs}"
        " HAVING sum(messages) != 0 OR sum(parts) != 0 OR sum(cost_micros) != 0"
        f" ON CONFLICT ({keys}) DO UPDATE SET messages = {table}.messages + excluded.messages,"
        f" parts = {table}.parts + excluded.parts,"
        f" cost_micros = {table}.cost_micros + excluded.cost_micros"
    )


_BUCKET = {"status": "status", "area": "area", "sender": "sender", "campaign": "campaign"}
_FOLDS = (
    _fold("message_stats", {"account_id": "account_id", "day": "day", **_BUCKET}),
    _fold(
        "message_stats_monthly",
        {"account_id": "account_id", "month": "substr(day, 1, 7)", **_BUCKET},
    ),
    _fold(  # the hourly and per-connector rows come from the deltas that carry an hour (0105)
        "message_stats_hourly",
        {"account_id": "account_id", "hour": "day || ' ' || hour", "status": "status"},
        " AND hour IS NOT NULL",
    ),
    _fold(
        "message_stats_connector",
        {"day": "day", "connector": "coalesce(connector, '')", "status": "status"},
        " AND hour IS NOT NULL",
    ),
)
_DELETE = "DELETE FROM message_stats_delta WHERE id <= ?"


def fold_sqlite(con: sqlite3.Connection, limit: int) -> int:
    """Fold up to ``limit`` of the oldest deltas; how many were folded."""
    last, count = con.execute(_LAST, (limit,)).fetchone()
    if not count:
        return 0
    for statement in _FOLDS:
        con.execute(statement, (last,))
    con.execute(_DELETE, (last,))
    return int(count)
