"""Cabinet: the interface language per account, and the history's campaign filter indexed.

Revision ID: 0103
Revises: 0102
Create Date: 2026-12-06 01:30:00

* ``web_prefs``: an account's cabinet language (not the API's ``lang``);
* ``messages.campaign``: the campaign name (``name_delivery``, or ``campaign`` as the cabinet
  stored it before) copied out of the JSON ``extra`` at acceptance, with the index
  ``(account_id, campaign, id)``; existing rows are filled here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0103"
down_revision: str | None = "0102"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_prefs",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_web_prefs"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_web_prefs_account_id_accounts"
        ),
    )
    op.add_column("messages", sa.Column("campaign", sa.String(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE messages SET campaign = COALESCE(extra::json ->> 'name_delivery',"
            " extra::json ->> 'campaign') WHERE extra IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE messages SET campaign = COALESCE(json_extract(extra, '$.name_delivery'),"
            " json_extract(extra, '$.campaign')) WHERE extra IS NOT NULL AND json_valid(extra)"
        )
    op.create_index(
        "ix_messages_account_id_campaign_id", "messages", ["account_id", "campaign", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_messages_account_id_campaign_id", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("campaign")
    op.drop_table("web_prefs")
