"""An MO the carrier delivered twice gets one auto-reply (issue 13).

Revision ID: 0107
Revises: 0106
Create Date: 2026-12-06 02:10:00

* ``inbound_repeats``: the time slots each recent MO claims for its identity (a digest of
  connector, sender, number and text), keyed (identity, slot); a second claim of a slot marks
  that MO as the carrier's repeat of the first (``store/mo_repeats.py``). Old claims are pruned
  as MOs are stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0107"
down_revision: str | None = "0106"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbound_repeats",
        sa.Column("identity", sa.String(64), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("identity", "slot", name="pk_inbound_repeats"),
    )
    op.create_index("ix_inbound_repeats_slot", "inbound_repeats", ["slot"])


def downgrade() -> None:
    op.drop_index("ix_inbound_repeats_slot", table_name="inbound_repeats")
    op.drop_table("inbound_repeats")
