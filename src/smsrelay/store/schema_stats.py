"""Message statistics kept up to date by the database itself (docs/statistics.md).

Triggers on ``messages`` (migration 0091) append one signed delta row per change of a
message's bucket (insert, or a change of status, parts, price or area) to
``message_stats_delta``: inserts only, so concurrent writers never contend for a shared row.
:class:`smsrelay.store.stats.SqlStatsStore` folds the deltas into ``message_stats`` (one row
per account x UTC day x status x area x sender x campaign) and answers from both.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from .schema import Id, metadata

__all__ = ["message_stats", "message_stats_delta", "message_stats_monthly"]

_BUCKET = ("account_id", "day", "status", "area", "sender", "campaign")


def _bucket_columns(primary: bool, period: str = "day") -> list[Column[object]]:
    return [
        Column("account_id", Id, nullable=False, primary_key=primary),
        # day: YYYY-MM-DD (UTC); month: YYYY-MM
        Column(period, String(10), nullable=False, primary_key=primary),
        Column("status", String(16), nullable=False, primary_key=primary),
        Column("area", String, nullable=False, primary_key=primary),
        Column("sender", String, nullable=False, primary_key=primary),
        Column("campaign", String, nullable=False, primary_key=primary),  # name_delivery
        Column("messages", BigInteger, nullable=False),
        Column("parts", BigInteger, nullable=False),
        Column("cost_micros", BigInteger, nullable=False),  # parts x price when charged
    ]


message_stats = Table(
    "message_stats",
    metadata,
    *_bucket_columns(True),
    sqlite_with_rowid=False,  # clustered by (account, day, ...): range reads are sequential
)

#: The same counts per month (kept by the folder with the daily rows): a long period not
#: grouped by day reads 12 rows a year per bucket instead of 365.
message_stats_monthly = Table(
    "message_stats_monthly",
    metadata,
    *_bucket_columns(True, "month"),
    sqlite_with_rowid=False,
)

message_stats_delta = Table(
    "message_stats_delta",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_bucket_columns(False),
    Index(None, "account_id", "day"),
    sqlite_autoincrement=True,
)
