"""Statistics: messages.area, the summary table, its delta log and the triggers feeding it.

Revision ID: 0091
Revises: 0090
Create Date: 2026-12-06 00:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0091"
down_revision: str | None = "0090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COLUMNS = "account_id, day, status, area, sender, campaign, messages, parts, cost_micros"


def _bucket(primary: bool, period: str = "day") -> list[sa.Column[object]]:
    return [
        sa.Column("account_id", ID, nullable=False),
        sa.Column(period, sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("campaign", sa.String(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
    ]


def _sqlite_values(row: str, sign: str) -> str:
    return (
        f"({row}.account_id, substr({row}.created_at, 1, 10), {row}.status,"
        f" coalesce({row}.area, ''), {row}.sender,"
        f" coalesce(json_extract({row}.extra, '$.name_delivery'), ''),"
        f" {sign}1, {sign}{row}.parts, {sign}{row}.parts * {row}.price_micros)"
    )


_PG_BUCKET = (
    "{r}.account_id, to_char({r}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), {r}.status,"
    " coalesce({r}.area, ''), {r}.sender, coalesce({r}.extra::json ->> 'name_delivery', '')"
)
_PG_CHANGED = (
    "(o.status, o.parts, o.price_micros, coalesce(o.area, ''))"
    " IS DISTINCT FROM (w.status, w.parts, w.price_micros, coalesce(w.area, ''))"
)


def upgrade() -> None:
    op.add_column("messages", sa.Column("area", sa.String(), nullable=True))
    op.create_table(
        "message_stats",
        *_bucket(True),
        sa.PrimaryKeyConstraint(
            "account_id", "day", "status", "area", "sender", "campaign", name="pk_message_stats"
        ),
        sqlite_with_rowid=False,  # clustered by account and day: a range read is sequential
    )
    op.create_table(
        "message_stats_monthly",
        *_bucket(True, "month"),
        sa.PrimaryKeyConstraint(
            "account_id",
            "month",
            "status",
            "area",
            "sender",
            "campaign",
            name="pk_message_stats_monthly",
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "message_stats_delta",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        *_bucket(False),
        sa.PrimaryKeyConstraint("id", name="pk_message_stats_delta"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_message_stats_delta_account_id_day", "message_stats_delta", ["account_id", "day"]
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER message_stats_insert AFTER INSERT ON messages BEGIN "
            f"INSERT INTO message_stats_delta ({_COLUMNS}) VALUES {_sqlite_values('NEW', '')}; "
            "END"
        )
        op.execute(
            "CREATE TRIGGER message_stats_update AFTER UPDATE OF status, parts, price_micros, area"
            " ON messages WHEN OLD.status IS NOT NEW.status OR OLD.parts IS NOT NEW.parts"
            " OR OLD.price_micros IS NOT NEW.price_micros OR OLD.area IS NOT NEW.area BEGIN "
            f"INSERT INTO message_stats_delta ({_COLUMNS}) VALUES "
            f"{_sqlite_values('OLD', '-')}, {_sqlite_values('NEW', '')}; END"
        )
        return
    # PostgreSQL: statement-level triggers over transition tables, one grouped insert per
    # statement (the accept path's COPY fires them once per batch).
    op.execute(
        "CREATE FUNCTION message_stats_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO message_stats_delta ({_COLUMNS}) "
        f"SELECT {_PG_BUCKET.format(r='w')}, count(*), sum(w.parts), "
        "sum(w.parts * w.price_micros) FROM new_rows w GROUP BY 1, 2, 3, 4, 5, 6; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER message_stats_insert AFTER INSERT ON messages "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION message_stats_on_insert()"
    )
    op.execute(
        "CREATE FUNCTION message_stats_on_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO message_stats_delta ({_COLUMNS}) "
        "SELECT account_id, day, status, area, sender, campaign, sum(n), sum(p), sum(c) FROM ("
        f"SELECT {_PG_BUCKET.format(r='o')}, -1 AS n, -o.parts AS p,"
        " -o.parts * o.price_micros AS c"
        f" FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE {_PG_CHANGED}"
        f" UNION ALL SELECT {_PG_BUCKET.format(r='w')}, 1, w.parts, w.parts * w.price_micros"
        f" FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE {_PG_CHANGED}"
        ") AS d (account_id, day, status, area, sender, campaign, n, p, c)"
        " GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0 OR sum(p) <> 0 OR sum(c) <> 0; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER message_stats_update AFTER UPDATE ON messages "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION message_stats_on_update()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS message_stats_update ON messages")
    op.execute("DROP TRIGGER IF EXISTS message_stats_insert ON messages")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS message_stats_on_update()")
        op.execute("DROP FUNCTION IF EXISTS message_stats_on_insert()")
    op.drop_index("ix_message_stats_delta_account_id_day", table_name="message_stats_delta")
    op.drop_table("message_stats_delta")
    op.drop_table("message_stats_monthly")
    op.drop_table("message_stats")
    op.drop_column("messages", "area")
