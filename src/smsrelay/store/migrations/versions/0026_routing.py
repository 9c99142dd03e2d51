"""Routing: carrier connectors, routes, per-route prices, per-account/sender rate limits.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-22 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "routing_connectors",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(16), nullable=False),
        sa.Column("password", sa.String(9), nullable=False),
        sa.Column("system_type", sa.String(13), nullable=False, server_default=""),
        sa.Column("bind", sa.String(16), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("throughput", sa.Float(), nullable=True),
        sa.Column("concat", sa.String(8), nullable=False),
        sa.Column("encoding", sa.String(16), nullable=False),
        sa.Column("binds", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("source_ton", sa.Integer(), nullable=True),
        sa.Column("source_npi", sa.Integer(), nullable=True),
        sa.Column("dest_ton", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("dest_npi", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.PrimaryKeyConstraint("name", name="pk_routing_connectors"),
    )
    op.create_table(
        "routing_routes",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("operator", sa.String(64), nullable=False, server_default=""),
        sa.Column("connectors", sa.Text(), nullable=False),
        sa.Column(
            "failover_on_undeliv", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_routing_routes_account_id_accounts"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_routing_routes_prefix_account_id_operator",
        "routing_routes",
        ["prefix", "account_id", "operator"],
    )
    op.create_table(
        "routing_prices",
        sa.Column("connector", sa.String(32), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("connector", "prefix", name="pk_routing_prices"),
    )
    op.create_table(
        "rate_limits",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("parts_per_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "sender", name="pk_rate_limits"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_rate_limits_account_id_accounts"
        ),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.drop_table("routing_prices")
    op.drop_index("ix_routing_routes_prefix_account_id_operator", table_name="routing_routes")
    op.drop_table("routing_routes")
    op.drop_table("routing_connectors")
