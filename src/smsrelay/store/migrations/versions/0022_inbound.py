"""Incoming SMS: routing numbers/keywords and stored MO messages.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-22 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbound_numbers",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("keyword", sa.String(), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_numbers"),
        sa.UniqueConstraint("number", "keyword", name="uq_inbound_numbers_number_keyword"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_inbound_numbers_account_id_accounts"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_inbound_numbers_account_id", "inbound_numbers", ["account_id"])
    op.create_table(
        "inbound_messages",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("originator", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("prefix", sa.String(), nullable=False, server_default=""),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False, server_default=""),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_messages"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_inbound_messages_account_id_accounts"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_inbound_messages_account_id_received_at",
        "inbound_messages",
        ["account_id", "received_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_messages_account_id_received_at", table_name="inbound_messages")
    op.drop_table("inbound_messages")
    op.drop_index("ix_inbound_numbers_account_id", table_name="inbound_numbers")
    op.drop_table("inbound_numbers")
