"""Number-base checking jobs and results (spec §6, C1/C2).

Revision ID: 0092
Revises: 0091
Create Date: 2026-12-06 00:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0092"
down_revision: str | None = "0091"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checking_jobs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("total_phones", sa.Integer(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_checking_jobs"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_checking_jobs_account_id_accounts"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_checking_jobs_account_id_id", "checking_jobs", ["account_id", "id"])
    op.create_table(
        "checking_phones",
        sa.Column("job_id", ID, nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("result", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("job_id", "phone", name="pk_checking_phones"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["checking_jobs.id"], name="fk_checking_phones_job_id_checking_jobs"
        ),
    )


def downgrade() -> None:
    op.drop_table("checking_phones")
    op.drop_index("ix_checking_jobs_account_id_id", table_name="checking_jobs")
    op.drop_table("checking_jobs")
