"""Status webhooks: settings, the durable outbox (filled by a trigger on ``messages``), attempts.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-22 01:00:00

Every client-visible status change of a message (a change INTO a final status, including
``delivered -> read``), whatever code path makes it, inserts an outbox row in the SAME
transaction, for accounts that have a webhook set. Messages inserted already final are covered
too. The trigger is created per dialect (SQLite trigger; PostgreSQL PL/pgSQL function +
triggers), so no other module needs to know about webhooks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

# The final statuses of ``domain.status`` as of this revision (a frozen copy).
_FINAL = (
    "('delivered', 'read', 'undelivered', 'expired', 'partly_delivered', 'rejected', 'cancelled')"
)

_INSERT_ROWS = """
    INSERT INTO webhook_outbox (account_id, message_id, status, status_at, state, attempts)
    SELECT NEW.account_id, NEW.id, NEW.status, NEW.status_at, 'pending', 0
    FROM webhooks WHERE webhooks.account_id = NEW.account_id;
"""

_SQLITE_UP = [
    f"""CREATE TRIGGER webhook_outbox_on_update AFTER UPDATE OF status ON messages
    FOR EACH ROW WHEN NEW.status <> OLD.status AND NEW.status IN {_FINAL}
    BEGIN {_INSERT_ROWS} END""",
    f"""CREATE TRIGGER webhook_outbox_on_insert AFTER INSERT ON messages
    FOR EACH ROW WHEN NEW.status IN {_FINAL}
    BEGIN {_INSERT_ROWS} END""",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS webhook_outbox_on_insert",
    "DROP TRIGGER IF EXISTS webhook_outbox_on_update",
]

_PG_UP = [
    f"""CREATE OR REPLACE FUNCTION webhook_outbox_add() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN {_INSERT_ROWS}
      RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER webhook_outbox_on_update AFTER UPDATE OF status ON messages
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN {_FINAL})
    EXECUTE FUNCTION webhook_outbox_add()""",
    f"""CREATE TRIGGER webhook_outbox_on_insert AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.status IN {_FINAL})
    EXECUTE FUNCTION webhook_outbox_add()""",
]
_PG_DOWN = [
    "DROP TRIGGER IF EXISTS webhook_outbox_on_insert ON messages",
    "DROP TRIGGER IF EXISTS webhook_outbox_on_update ON messages",
    "DROP FUNCTION IF EXISTS webhook_outbox_add()",
]


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("xml_root", sa.String(16), nullable=False, server_default="response"),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_webhooks"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_webhooks_account_id_accounts"
        ),
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_at", TS, nullable=True),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_at", TS, nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("delivery_id", sa.String(32), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_outbox"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_webhook_outbox_state_next_at_id", "webhook_outbox", ["state", "next_at", "id"]
    )
    op.create_index("ix_webhook_outbox_account_id_state", "webhook_outbox", ["account_id", "state"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("delivery_id", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("acked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_attempts_account_id_id", "webhook_attempts", ["account_id", "id"])
    for statement in _PG_UP if op.get_bind().dialect.name == "postgresql" else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _PG_DOWN if op.get_bind().dialect.name == "postgresql" else _SQLITE_DOWN:
        op.execute(statement)
    op.drop_index("ix_webhook_attempts_account_id_id", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_outbox_account_id_state", table_name="webhook_outbox")
    op.drop_index("ix_webhook_outbox_state_next_at_id", table_name="webhook_outbox")
    op.drop_table("webhook_outbox")
    op.drop_table("webhooks")
