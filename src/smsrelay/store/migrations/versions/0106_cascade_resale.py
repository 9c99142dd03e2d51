"""A cascade's SMS leg is charged at every reseller level, beside its Viber leg (issue 13).

Revision ID: 0106
Revises: 0103
Create Date: 2026-12-06 02:00:00

* ``message_charges``: the primary key becomes ``(message_id, level, channel)``, so one message
  can keep the reseller levels of its Viber leg and of its SMS leg (a Viber->SMS cascade whose
  Viber leg the provider took, then failed). Existing rows keep their channel.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0106"
down_revision: str | None = "0105"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message_charges") as batch:
        batch.drop_constraint("pk_message_charges", type_="primary")
        batch.create_primary_key("pk_message_charges", ["message_id", "level", "channel"])


def downgrade() -> None:
    # only possible while no message has both legs charged to its resellers
    with op.batch_alter_table("message_charges") as batch:
        batch.drop_constraint("pk_message_charges", type_="primary")
        batch.create_primary_key("pk_message_charges", ["message_id", "level"])
