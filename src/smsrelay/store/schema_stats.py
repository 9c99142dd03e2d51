"""Message statistics kept up to date by the database itself (docs/statistics.md).

Triggers on ``messages`` (migration 0091, widened by 0105) append one signed delta row per
change of a message's bucket (insert, or a change of status, parts, price, area or connector)
to ``message_stats_delta``: inserts only, so concurrent writers never contend for a shared row.
:class:`smsrelay.store.stats.SqlStatsStore` folds the deltas into ``message_stats`` (one row
per account x UTC day x status x area x sender x campaign), ``message_stats_monthly``,
``message_stats_hourly`` (account x UTC hour x status: the cabinet's overview in local days)
and ``message_stats_connector`` (UTC day x connector x status: the console's reports), and
readers answer from the folded rows plus the deltas.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from .schema import Id, metadata

__all__ = [
    "message_stats",
    "message_stats_connector",
    "message_stats_delta",
    "message_stats_hourly",
    "message_stats_monthly",
]

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


def _counts() -> list[Column[object]]:
    return [
        Column("messages", BigInteger, nullable=False),
        Column("parts", BigInteger, nullable=False),
        Column("cost_micros", BigInteger, nullable=False),
    ]


#: Per account and UTC hour ('YYYY-MM-DD HH') by status (migration 0105): an account's zone
#: is whole hours from UTC, so the cabinet's local days are sums of whole hours.
message_stats_hourly = Table(
    "message_stats_hourly",
    metadata,
    Column("account_id", Id, primary_key=True),
    Column("hour", String(13), primary_key=True),
    Column("status", String(16), primary_key=True),
    *_counts(),
    sqlite_with_rowid=False,
)

#: Per UTC day, connector ('' before submission) and status over all accounts (0105): the
#: console's report by connector.
message_stats_connector = Table(
    "message_stats_connector",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("connector", String, primary_key=True),
    Column("status", String(16), primary_key=True),
    *_counts(),
    sqlite_with_rowid=False,
)

message_stats_delta = Table(
    "message_stats_delta",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_bucket_columns(False),
    # NULL in deltas written before migration 0105 (folded into the daily rows only)
    Column("hour", String(2), nullable=True),  # UTC hour of created_at, 'HH'
    Column("connector", String, nullable=True),
    Index(None, "account_id", "day"),
    sqlite_autoincrement=True,
)
