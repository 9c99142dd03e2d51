"""Self-service registrations (G5): the ``registrations`` table.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-22 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("businessman", sa.String(2), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("e_mail", sa.Text(), nullable=False),
        sa.Column("inn", sa.String(), nullable=False, server_default=""),
        sa.Column("juridical_address", sa.Text(), nullable=False, server_default=""),
        sa.Column("company_name", sa.Text(), nullable=False, server_default=""),
        sa.Column("ogrnip", sa.String(), nullable=False, server_default=""),
        sa.Column("address_facto", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("activated_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("account_id", name="pk_registrations"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_registrations_account_id_accounts"
        ),
    )


def downgrade() -> None:
    op.drop_table("registrations")
