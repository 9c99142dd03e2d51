"""Carrier connectors owned by lease (several nodes on one database).

Revision ID: 0104
Revises: 0103
Create Date: 2026-12-07 10:00:00

* ``connector_leases``: one row per connector name; the node holding the lease runs that
  connector's binds (docs/scaling.md, "Several machines").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0104"
down_revision: str | None = "0103"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "connector_leases",
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), server_default="", nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("acquired_at", TS, nullable=True),
        sa.Column("heartbeat_at", TS, nullable=True),
        sa.Column("bound", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("connector", name="pk_connector_leases"),
    )


def downgrade() -> None:
    op.drop_table("connector_leases")
