"""Opt-out by reply: per-account/number settings; messages by phone (who sent to it last).

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0051"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "optout_settings",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("stop_words", sa.Text(), nullable=False),
        sa.Column("start_words", sa.Text(), nullable=False),
        sa.Column("confirm_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("confirm_start_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("sender", sa.String(), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_optout_settings_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("account_id", "number", name="pk_optout_settings"),
    )
    op.create_index("ix_messages_phone_id", "messages", ["phone", "id"])


def downgrade() -> None:
    op.drop_index("ix_messages_phone_id", table_name="messages")
    op.drop_table("optout_settings")
