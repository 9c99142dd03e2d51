"""Compliance at delivery: the reason a message was stopped when it was about to leave.

Revision ID: 0050
Revises: 0026
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0050"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "delivery_refusals",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_delivery_refusals_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("message_id", name="pk_delivery_refusals"),
    )


def downgrade() -> None:
    op.drop_table("delivery_refusals")
