"""Tariffs, tariff assignment, per-account price overrides, reseller charge levels.

Revision ID: 0090
Revises: 0026
Create Date: 2026-12-05 23:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0090"
down_revision: str | None = "0070"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tariffs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tariffs"),
        sa.ForeignKeyConstraint(["owner_id"], ["accounts.id"], name="fk_tariffs_owner_id_accounts"),
        sa.UniqueConstraint("owner_id", "name", name="uq_tariffs_owner_id_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "tariff_prices",
        sa.Column("tariff_id", ID, nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("tariff_id", "prefix", "channel", name="pk_tariff_prices"),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name="fk_tariff_prices_tariff_id_tariffs"
        ),
    )
    op.create_table(
        "account_tariffs",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("tariff_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_tariffs"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_account_tariffs_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name="fk_account_tariffs_tariff_id_tariffs"
        ),
    )
    op.create_table(
        "account_prices",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "prefix", "channel", name="pk_account_prices"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_account_prices_account_id_accounts"
        ),
    )
    op.create_table(
        "message_charges",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("child_id", ID, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("income_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("message_id", "level", name="pk_message_charges"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_charges_message_id_messages"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_message_charges_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["accounts.id"], name="fk_message_charges_child_id_accounts"
        ),
    )
    op.create_index(
        "ix_message_charges_account_id_created_at",
        "message_charges",
        ["account_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_message_charges_account_id_created_at", table_name="message_charges")
    for name in ("message_charges", "account_prices", "account_tariffs", "tariff_prices"):
        op.drop_table(name)
    op.drop_table("tariffs")
