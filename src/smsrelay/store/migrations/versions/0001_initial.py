"""Initial schema: accounts, ledger, prices, senders, stop list, messages, parts, meta.

Revision ID: 0001
Revises:
Create Date: 2026-01-01 00:00:00

Frozen copy of ``smsrelay.store.schema`` as first released: later schema changes get their own
revision; this file never changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("token", sa.String(), nullable=True),
        sa.Column("balance_micros", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("currency", sa.String(3), nullable=False, server_default="RUR"),
        sa.Column("lang", sa.String(2), nullable=False, server_default="ru"),
        sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("any_sender", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("tz_offset_hours", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("login", name="uq_accounts_login"),
        sa.UniqueConstraint("token", name="uq_accounts_token"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["accounts.id"], name="fk_accounts_parent_id_accounts"
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "prices",
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "channel", name="pk_prices"),
    )
    op.create_table(
        "senders",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("history", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("account_id", "name", name="pk_senders"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_senders_account_id_accounts"
        ),
    )
    op.create_table(
        "stop_list",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "phone", name="pk_stop_list"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_stop_list_account_id_accounts"
        ),
    )
    op.create_table(
        "messages",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("client_id_sms", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("connector", sa.String(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint(
            "account_id", "client_id_sms", name="uq_messages_account_id_client_id_sms"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_messages_account_id_accounts"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_messages_status_due_at_id", "messages", ["status", "due_at", "id"])
    op.create_index("ix_messages_status_valid_until", "messages", ["status", "valid_until"])
    op.create_table(
        "ledger",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_ledger_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_ledger_message_id_messages"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ledger_account_id_id", "ledger", ["account_id", "id"])
    op.create_table(
        "message_parts",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("part_no", sa.Integer(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("carrier_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("message_id", "part_no", name="pk_message_parts"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_parts_message_id_messages"
        ),
    )
    op.create_index(
        "ix_message_parts_connector_carrier_id", "message_parts", ["connector", "carrier_id"]
    )
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )
    op.bulk_insert(meta, [{"key": "prices_version", "value": "0"}])


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_index("ix_message_parts_connector_carrier_id", table_name="message_parts")
    op.drop_table("message_parts")
    op.drop_index("ix_ledger_account_id_id", table_name="ledger")
    op.drop_table("ledger")
    op.drop_index("ix_messages_status_valid_until", table_name="messages")
    op.drop_index("ix_messages_status_due_at_id", table_name="messages")
    op.drop_table("messages")
    op.drop_table("stop_list")
    op.drop_table("senders")
    op.drop_table("prices")
    op.drop_table("accounts")
