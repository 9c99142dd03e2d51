"""Subscriber bases and subscribers (X9-X12), stop-list change times (X17).

Revision ID: 0021
Revises: 0001
Create Date: 2026-11-22 01:00:00

Frozen copy, as first released, of the tables now in ``smsrelay.store.schema_bases`` and
``schema_stoplist``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False, server_default="")


def upgrade() -> None:
    op.create_table(
        "bases",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        _text("name_base"),
        sa.Column("time_birth", sa.String(5), nullable=False, server_default=""),
        sa.Column(
            "local_time_birth", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
        sa.Column("day_before", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("originator_birth", sa.String(), nullable=False, server_default=""),
        sa.Column("on_birth", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        _text("greeting"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bases"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_bases_account_id_accounts"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_bases_account_id_id", "bases", ["account_id", "id"])
    op.create_table(
        "base_phones",
        sa.Column("base_id", ID, nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        _text("region"),
        _text("operator"),
        _text("name"),
        _text("surname"),
        _text("patronymic"),
        sa.Column("date_birth", sa.String(10), nullable=False, server_default=""),
        sa.Column("male", sa.String(1), nullable=False, server_default=""),
        _text("addition_1"),
        _text("addition_2"),
        _text("addition_3"),
        _text("addition_4"),
        _text("addition_5"),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("base_id", "phone", name="pk_base_phones"),
        sa.ForeignKeyConstraint(["base_id"], ["bases.id"], name="fk_base_phones_base_id_bases"),
    )
    op.create_index("ix_base_phones_base_id_updated_at", "base_phones", ["base_id", "updated_at"])
    op.create_table(
        "stop_list_changes",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_stop_list_changes"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_stop_list_changes_account_id_accounts"
        ),
    )


def downgrade() -> None:
    op.drop_table("stop_list_changes")
    op.drop_index("ix_base_phones_base_id_updated_at", table_name="base_phones")
    op.drop_table("base_phones")
    op.drop_index("ix_bases_account_id_id", table_name="bases")
    op.drop_table("bases")
