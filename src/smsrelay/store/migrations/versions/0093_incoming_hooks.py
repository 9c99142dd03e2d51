"""Incoming-SMS webhooks: settings, outbox (fed by a trigger on inbound_messages), attempts.

Revision ID: 0093
Revises: 0092
Create Date: 2026-12-06 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0093"
# (after 0022, inbound_messages, which the trigger watches: the history is linear)
down_revision: str | None = "0092"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incoming_webhooks",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_incoming_webhooks"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_incoming_webhooks_account_id_accounts"
        ),
    )
    op.create_table(
        "incoming_outbox",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("inbound_id", ID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_at", TS, nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("delivery_id", sa.String(32), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_incoming_outbox"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_incoming_outbox_state_next_at_id", "incoming_outbox", ["state", "next_at", "id"]
    )
    op.create_table(
        "incoming_attempts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("delivery_id", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("acked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incoming_attempts"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_incoming_attempts_account_id_id", "incoming_attempts", ["account_id", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER incoming_outbox_on_mo AFTER INSERT ON inbound_messages "
            "WHEN NEW.account_id IS NOT NULL AND EXISTS (SELECT 1 FROM incoming_webhooks w "
            "WHERE w.account_id = NEW.account_id) BEGIN "
            "INSERT INTO incoming_outbox (account_id, inbound_id, state, attempts) "
            "VALUES (NEW.account_id, NEW.id, 'pending', 0); END"
        )
        return
    op.execute(
        "CREATE FUNCTION incoming_outbox_on_mo() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO incoming_outbox (account_id, inbound_id, state, attempts) "
        "SELECT n.account_id, n.id, 'pending', 0 FROM new_rows n "
        "JOIN incoming_webhooks w ON w.account_id = n.account_id ORDER BY n.id; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER incoming_outbox_on_mo AFTER INSERT ON inbound_messages "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION incoming_outbox_on_mo()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS incoming_outbox_on_mo ON inbound_messages")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS incoming_outbox_on_mo()")
    op.drop_index("ix_incoming_attempts_account_id_id", table_name="incoming_attempts")
    op.drop_table("incoming_attempts")
    op.drop_index("ix_incoming_outbox_state_next_at_id", table_name="incoming_outbox")
    op.drop_table("incoming_outbox")
    op.drop_table("incoming_webhooks")
