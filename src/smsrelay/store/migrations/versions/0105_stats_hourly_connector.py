"""Statistics by hour (the cabinet's overview in the account's time zone) and by connector
(the console's reports), fed by the same trigger deltas as ``message_stats``.

Revision ID: 0105
Revises: 0103
Create Date: 2026-12-06 02:40:00

* ``message_stats_delta`` gains ``hour`` (UTC, ``HH``) and ``connector``: the triggers of 0091
  are replaced by ones that also fill them (and react to a change of connector). Deltas
  written before this migration keep ``hour`` NULL and are folded into ``message_stats`` only;
* ``message_stats_hourly``: account × UTC hour (``YYYY-MM-DD HH``) × status. An account's
  zone is whole hours from UTC, so its local days are sums of whole hours;
* ``message_stats_connector``: UTC day × connector × status, over all accounts;
* both are filled here from ``messages`` (one scan at upgrade).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0105"
down_revision: str | None = "0104"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OLD = "account_id, day, status, area, sender, campaign"
_NEW = _OLD + ", hour, connector"
_SUMS = "messages, parts, cost_micros"


def _counts() -> list[sa.Column[object]]:
    return [
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
    ]


def _sqlite_values(row: str, sign: str, wide: bool) -> str:
    extra = f", substr({row}.created_at, 12, 2), coalesce({row}.connector, '')" if wide else ""
    return (
        f"({row}.account_id, substr({row}.created_at, 1, 10), {row}.status,"
        f" coalesce({row}.area, ''), {row}.sender,"
        f" coalesce(json_extract({row}.extra, '$.name_delivery'), ''){extra},"
        f" {sign}1, {sign}{row}.parts, {sign}{row}.parts * {row}.price_micros)"
    )


def _sqlite_triggers(wide: bool) -> None:
    cols = (_NEW if wide else _OLD) + ", " + _SUMS
    watched = "status, parts, price_micros, area" + (", connector" if wide else "")
    when = (
        "OLD.status IS NOT NEW.status OR OLD.parts IS NOT NEW.parts"
        " OR OLD.price_micros IS NOT NEW.price_micros OR OLD.area IS NOT NEW.area"
    ) + (" OR OLD.connector IS NOT NEW.connector" if wide else "")
    op.execute("DROP TRIGGER IF EXISTS message_stats_insert")
    op.execute("DROP TRIGGER IF EXISTS message_stats_update")
    op.execute(
        "CREATE TRIGGER message_stats_insert AFTER INSERT ON messages BEGIN "
        f"INSERT INTO message_stats_delta ({cols}) VALUES {_sqlite_values('NEW', '', wide)}; "
        "END"
    )
    op.execute(
        f"CREATE TRIGGER message_stats_update AFTER UPDATE OF {watched}"
        f" ON messages WHEN {when} BEGIN "
        f"INSERT INTO message_stats_delta ({cols}) VALUES "
        f"{_sqlite_values('OLD', '-', wide)}, {_sqlite_values('NEW', '', wide)}; END"
    )


def _pg_functions(wide: bool) -> None:
    bucket = (
        "{r}.account_id, to_char({r}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), {r}.status,"
        " coalesce({r}.area, ''), {r}.sender, coalesce({r}.extra::json ->> 'name_delivery', '')"
    )
    keys = _OLD
    width = 6
    watched = ["{r}.status", "{r}.parts", "{r}.price_micros", "coalesce({r}.area, '')"]
    if wide:
        bucket += (
            ", to_char({r}.created_at AT TIME ZONE 'UTC', 'HH24'), coalesce({r}.connector, '')"
        )
        keys = _NEW
        width = 8
        watched.append("coalesce({r}.connector, '')")
    old = ", ".join(w.format(r="o") for w in watched)
    new = ", ".join(w.format(r="w") for w in watched)
    changed = f"({old}) IS DISTINCT FROM ({new})"
    group = ", ".join(str(i) for i in range(1, width + 1))
    op.execute(
        "CREATE OR REPLACE FUNCTION message_stats_on_insert() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO message_stats_delta ({keys}, {_SUMS}) "
        f"SELECT {bucket.format(r='w')}, count(*), sum(w.parts), "
        f"sum(w.parts * w.price_micros) FROM new_rows w GROUP BY {group}; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION message_stats_on_update() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO message_stats_delta ({keys}, {_SUMS}) "
        f"SELECT {keys}, sum(n), sum(p), sum(c) FROM ("
        f"SELECT {bucket.format(r='o')}, -1 AS n, -o.parts AS p,"
        " -o.parts * o.price_micros AS c"
        f" FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE {changed}"
        f" UNION ALL SELECT {bucket.format(r='w')}, 1, w.parts, w.parts * w.price_micros"
        f" FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE {changed}"
        f") AS d ({keys}, n, p, c)"
        f" GROUP BY {group} HAVING sum(n) <> 0 OR sum(p) <> 0 OR sum(c) <> 0; "
        "RETURN NULL; END $$"
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("message_stats_delta") as batch:
        batch.add_column(sa.Column("hour", sa.String(2), nullable=True))
        batch.add_column(sa.Column("connector", sa.String(), nullable=True))
    op.create_table(
        "message_stats_hourly",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("hour", sa.String(13), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint("account_id", "hour", "status", name="pk_message_stats_hourly"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "message_stats_connector",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint("day", "connector", "status", name="pk_message_stats_connector"),
        sqlite_with_rowid=False,
    )
    if sqlite:
        hour = "substr(created_at, 1, 13)"
        day = "substr(created_at, 1, 10)"
    else:
        hour = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
        day = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    sums = "count(*), sum(parts), sum(parts * price_micros)"
    op.execute(
        f"INSERT INTO message_stats_hourly (account_id, hour, status, {_SUMS})"
        f" SELECT account_id, {hour}, status, {sums} FROM messages GROUP BY 1, 2, 3"
    )
    op.execute(
        f"INSERT INTO message_stats_connector (day, connector, status, {_SUMS})"
        f" SELECT {day}, coalesce(connector, ''), status, {sums} FROM messages GROUP BY 1, 2, 3"
    )
    if sqlite:
        _sqlite_triggers(wide=True)
    else:
        _pg_functions(wide=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers(wide=False)
    else:
        _pg_functions(wide=False)
    op.drop_table("message_stats_connector")
    op.drop_table("message_stats_hourly")
    with op.batch_alter_table("message_stats_delta") as batch:
        batch.drop_column("connector")
        batch.drop_column("hour")
