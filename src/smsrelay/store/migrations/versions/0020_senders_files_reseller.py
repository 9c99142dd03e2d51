"""Sender registrations (X5/X6), uploaded files (X19), reseller transactions (X20).

Revision ID: 0020
Revises: 0001
Create Date: 2026-11-22 01:00:00

Frozen copy, as first released, of the tables now in ``smsrelay.store.schema_files``,
``schema_sender_registrations`` and ``schema_reseller``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "uploaded_files",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_name", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uploaded_files"),
        sa.UniqueConstraint("stored_name", name="uq_uploaded_files_stored_name"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_uploaded_files_account_id_accounts"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_uploaded_files_account_id_id", "uploaded_files", ["account_id", "id"])
    op.create_table(
        "sender_registrations",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("inn", sa.String(), nullable=False, server_default=""),
        sa.Column("kpp", sa.String(), nullable=False, server_default=""),
        sa.Column("ogrn", sa.String(), nullable=False, server_default=""),
        sa.Column("name_counterparty", sa.Text(), nullable=False, server_default=""),
        sa.Column("template", sa.Text(), nullable=False, server_default=""),
        sa.Column("operator", sa.String(), nullable=False, server_default=""),
        sa.Column("mcc", sa.String(), nullable=False, server_default=""),
        sa.Column("mnc", sa.String(), nullable=False, server_default=""),
        sa.Column("file_href", sa.Text(), nullable=False, server_default=""),
        sa.Column("file_id", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sender_registrations"),
        sa.UniqueConstraint("account_id", "name", name="uq_sender_registrations_account_id_name"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_sender_registrations_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["uploaded_files.id"],
            name="fk_sender_registrations_file_id_uploaded_files",
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "reseller_transactions",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("reseller_id", ID, nullable=False),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("type_transaction", sa.String(32), nullable=False),
        sa.Column("reseller_ledger_id", ID, nullable=False),
        sa.Column("client_ledger_id", ID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reseller_transactions"),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["accounts.id"], name="fk_reseller_transactions_reseller_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["accounts.id"], name="fk_reseller_transactions_client_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["reseller_ledger_id"],
            ["ledger.id"],
            name="fk_reseller_transactions_reseller_ledger_id_ledger",
        ),
        sa.ForeignKeyConstraint(
            ["client_ledger_id"],
            ["ledger.id"],
            name="fk_reseller_transactions_client_ledger_id_ledger",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_reseller_transactions_reseller_id_id", "reseller_transactions", ["reseller_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_reseller_transactions_reseller_id_id", table_name="reseller_transactions")
    op.drop_table("reseller_transactions")
    op.drop_table("sender_registrations")
    op.drop_index("ix_uploaded_files_account_id_id", table_name="uploaded_files")
    op.drop_table("uploaded_files")
