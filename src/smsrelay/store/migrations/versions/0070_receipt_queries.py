"""Receipts that never come: connector options (query_sm allowed) and query_sm history.

Revision ID: 0070
Revises: 0026
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0070"
down_revision: str | None = "0051"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "connector_options",
        sa.Column("connector", sa.String(32), nullable=False),
        sa.Column("query_sm", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("connector", name="pk_connector_options"),
    )
    op.create_table(
        "receipt_queries",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("part_no", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("message_id", "part_no", name="pk_receipt_queries"),
    )


def downgrade() -> None:
    op.drop_table("receipt_queries")
    op.drop_table("connector_options")
