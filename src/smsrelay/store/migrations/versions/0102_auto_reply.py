"""Auto-reply per incoming number and keyword (issue 13).

Revision ID: 0102
Revises: 0101
Create Date: 2026-12-06 01:20:00

* ``inbound_numbers.auto_reply``: the text sent back (from the number, charged to the owning
  account) to the sender of each MO this number/keyword routes; NULL = no auto-reply.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0102"
down_revision: str | None = "0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbound_numbers", sa.Column("auto_reply", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_numbers") as batch:
        batch.drop_column("auto_reply")
