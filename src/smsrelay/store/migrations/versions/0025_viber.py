"""Viber legs of messages (Viber and the Viber->SMS cascade).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-22 01:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "viber_legs",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("provider_id", sa.String(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_at", TS, nullable=True),
        sa.Column("viber_until", TS, nullable=False),
        sa.Column("fallback", sa.String(8), nullable=True),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("sms_at", TS, nullable=True),
        sa.Column("fallback_error", sa.String(32), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_viber_legs"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_viber_legs_message_id_messages"
        ),
    )
    op.create_index(
        "ix_viber_legs_connector_provider_id", "viber_legs", ["connector", "provider_id"]
    )
    op.create_index("ix_viber_legs_status_viber_until", "viber_legs", ["status", "viber_until"])


def downgrade() -> None:
    op.drop_index("ix_viber_legs_status_viber_until", table_name="viber_legs")
    op.drop_index("ix_viber_legs_connector_provider_id", table_name="viber_legs")
    op.drop_table("viber_legs")
