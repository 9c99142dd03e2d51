"""The statistics fold, set-based: the database adds the deltas up (``INSERT … SELECT … GROUP
BY … ON CONFLICT``) instead of every delta being read into Python.

A fold takes the oldest ``limit`` deltas into the daily, monthly, hourly and per-connector
summaries and deletes them, in one transaction. Groups that sum to nothing write no row.

* SQLite (:func:`fold_sqlite`): plain ``sqlite3`` statements, one step of the writer thread
  (``store.sqlite_writer``). The deltas are taken by id range: under SQLite's single writer
  every delta with a smaller id is committed and none can be written while the fold runs.
* PostgreSQL (:data:`FOLD_POSTGRES`): one statement whose first part deletes the deltas it
  locked (``FOR UPDATE SKIP LOCKED``, so several nodes fold at once, each its own rows) and
  whose other parts add exactly those deleted rows to the summaries (one snapshot).
"""

from __future__ import annotations

import sqlite3

__all__ = ["FOLD_POSTGRES", "fold_sqlite"]

_BUCKET = {"status": "status", "area": "area", "sender": "sender", "campaign": "campaign"}
#: summary table -> (its key columns from delta expressions, the deltas it takes)
_SUMMARIES: dict[str, tuple[dict[str, str], str]] = {
    "message_stats": ({"account_id": "account_id", "day": "day", **_BUCKET}, ""),
    "message_stats_monthly": (
        {"account_id": "account_id", "month": "substr(day, 1, 7)", **_BUCKET},
        "",
    ),
    # the hourly and per-connector rows come from the deltas that carry an hour (0105)
    "message_stats_hourly": (
        {"account_id": "account_id", "hour": "day || ' ' || hour", "status": "status"},
        "hour IS NOT NULL",
    ),
    "message_stats_connector": (
        {"day": "day", "connector": "coalesce(connector, '')", "status": "status"},
        "hour IS NOT NULL",
    ),
}


def _fold(table: str, source: str, where: str) -> str:
    columns, only = _SUMMARIES[table]
    keys = ", ".join(columns)
    exprs = ", ".join(columns.values())
    condition = " AND ".join(c for c in (where, only) if c)
    return (
        f"INSERT INTO {table} ({keys}, messages, parts, cost_micros)"
        f" SELECT {exprs}, sum(messages), sum(parts), sum(cost_micros)"
        f" FROM {source} WHERE {condition or 'true'} GROUP BY {exprs}"
        " HAVING sum(messages) != 0 OR sum(parts) != 0 OR sum(cost_micros) != 0"
        f" ORDER BY {exprs}"  # one order of row locks for folders running at once
        f" ON CONFLICT ({keys}) DO UPDATE SET messages = {table}.messages + excluded.messages,"
        f" parts = {table}.parts + excluded.parts,"
        f" cost_micros = {table}.cost_micros + excluded.cost_micros"
    )


# --- SQLite ----------------------------------------------------------------------------------

_LAST = "SELECT max(id), count(*) FROM (SELECT id FROM message_stats_delta ORDER BY id LIMIT ?)"
_FOLDS_SQLITE = tuple(_fold(table, "message_stats_delta", "id <= ?") for table in _SUMMARIES)
_DELETE = "DELETE FROM message_stats_delta WHERE id <= ?"


def fold_sqlite(con: sqlite3.Connection, limit: int) -> int:
    """Fold up to ``limit`` of the oldest deltas; how many were folded."""
    last, count = con.execute(_LAST, (limit,)).fetchone()
    if not count:
        return 0
    for statement in _FOLDS_SQLITE:
        con.execute(statement, (last,))
    con.execute(_DELETE, (last,))
    return int(count)


# --- PostgreSQL ------------------------------------------------------------------------------

#: Parameter ``limit``; returns how many deltas were folded.
FOLD_POSTGRES = (
    "WITH gone AS (DELETE FROM message_stats_delta WHERE id IN"
    " (SELECT id FROM message_stats_delta ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED)"
    " RETURNING *), "
    + ", ".join(f"f{n} AS ({_fold(t, 'gone', '')})" for n, t in enumerate(_SUMMARIES))
    + " SELECT count(*) FROM gone"
)
