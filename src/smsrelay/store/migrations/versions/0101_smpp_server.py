"""The customer SMPP server: SMPP access per account, the durable deliver_sm outbox, live binds.

Revision ID: 0101
Revises: 0100
Create Date: 2026-12-05 23:50:00

* ``smpp_access``: an account's SMPP password hash and limits (binds, msg/s, allowed CIDRs).
* ``smpp_outbox``: one row per deliver_sm owed to a customer: a delivery receipt (a message
  accepted over SMPP with ``registered_delivery`` reaching a final status) or an MO routed to an
  account with SMPP access. Filled by triggers in the SAME transaction as the status change or
  the MO insert (the pattern of ``webhook_outbox``), so neither the delivery engine nor the
  inbound store needs to know about the SMPP server. Claimed with a lease by the process that
  holds a receiving bind of the account; deleted once the customer's deliver_sm_resp is OK.
* ``smpp_binds``: live customer binds (one row per bind, refreshed by its process), read by
  ``smsrelay smpp binds``; ``kick`` set by ``smsrelay smpp kick`` closes the bind.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101"
# after 0022 too (the MO trigger is on inbound_messages): the history is linear
down_revision: str | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

# Final statuses that get a receipt (``read`` follows ``delivered``: one receipt, not two).
_FINAL = "('delivered', 'undelivered', 'expired', 'partly_delivered', 'rejected', 'cancelled')"
# ``extra`` is JSON written with json.dumps(sort_keys=True): ``"smpp_dlr": "1"`` = every final
# status, ``"smpp_dlr": "2"`` = failures only (registered_delivery bits 0-1, SMPP 3.4 §5.2.17).
_WANTS = (
    """(NEW.extra LIKE '%"smpp_dlr": "1"%' OR (NEW.extra LIKE '%"smpp_dlr": "2"%'"""
    """ AND NEW.status NOT IN ('delivered')))"""
)
_RECEIPT_ROW = """
    INSERT INTO smpp_outbox (account_id, kind, ref_id, status, created_at, attempts)
    VALUES (NEW.account_id, 'receipt', NEW.id, NEW.status,
            COALESCE(NEW.status_at, NEW.created_at), 0);
"""
_MO_ROW = """
    INSERT INTO smpp_outbox (account_id, kind, ref_id, status, created_at, attempts)
    SELECT NEW.account_id, 'mo', NEW.id, NULL, NEW.received_at, 0
    FROM smpp_access WHERE smpp_access.account_id = NEW.account_id;
"""

_SQLITE_UP = [
    f"""CREATE TRIGGER smpp_outbox_on_update AFTER UPDATE OF status ON messages
    FOR EACH ROW WHEN NEW.status <> OLD.status AND NEW.status IN {_FINAL} AND {_WANTS}
    BEGIN {_RECEIPT_ROW} END""",
    f"""CREATE TRIGGER smpp_outbox_on_insert AFTER INSERT ON messages
    FOR EACH ROW WHEN NEW.status IN {_FINAL} AND {_WANTS}
    BEGIN {_RECEIPT_ROW} END""",
    f"""CREATE TRIGGER smpp_outbox_on_mo AFTER INSERT ON inbound_messages
    FOR EACH ROW WHEN NEW.account_id IS NOT NULL
    BEGIN {_MO_ROW} END""",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS smpp_outbox_on_mo",
    "DROP TRIGGER IF EXISTS smpp_outbox_on_insert",
    "DROP TRIGGER IF EXISTS smpp_outbox_on_update",
]
_PG_UP = [
    f"""CREATE OR REPLACE FUNCTION smpp_outbox_receipt() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN {_RECEIPT_ROW}
      RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION smpp_outbox_mo() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN {_MO_ROW}
      RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER smpp_outbox_on_update AFTER UPDATE OF status ON messages
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN {_FINAL}
    AND {_WANTS}) EXECUTE FUNCTION smpp_outbox_receipt()""",
    f"""CREATE TRIGGER smpp_outbox_on_insert AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.status IN {_FINAL} AND {_WANTS})
    EXECUTE FUNCTION smpp_outbox_receipt()""",
    """CREATE TRIGGER smpp_outbox_on_mo AFTER INSERT ON inbound_messages
    FOR EACH ROW WHEN (NEW.account_id IS NOT NULL) EXECUTE FUNCTION smpp_outbox_mo()""",
]
_PG_DOWN = [
    "DROP TRIGGER IF EXISTS smpp_outbox_on_mo ON inbound_messages",
    "DROP TRIGGER IF EXISTS smpp_outbox_on_insert ON messages",
    "DROP TRIGGER IF EXISTS smpp_outbox_on_update ON messages",
    "DROP FUNCTION IF EXISTS smpp_outbox_mo()",
    "DROP FUNCTION IF EXISTS smpp_outbox_receipt()",
]


def upgrade() -> None:
    op.create_table(
        "smpp_access",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("max_binds", sa.Integer(), nullable=False, server_default=sa.text("4")),
        sa.Column("throughput", sa.Integer(), nullable=False, server_default=sa.text("30")),
        sa.Column("allowed_cidrs", sa.Text(), nullable=False, server_default=""),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_smpp_access"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_smpp_access_account_id_accounts"
        ),
    )
    op.create_table(
        "smpp_outbox",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("ref_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_at", TS, nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("lease_owner", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_smpp_outbox"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_smpp_outbox_account_id_id", "smpp_outbox", ["account_id", "id"])
    op.create_table(
        "smpp_binds",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("login", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("bind_type", sa.String(4), nullable=False),
        sa.Column("node", sa.String(32), nullable=False),
        sa.Column("since", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("submits", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("receipts", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("submit_rate", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("receipt_rate", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("outstanding", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("kick", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("id", name="pk_smpp_binds"),
    )
    op.create_index("ix_smpp_binds_account_id", "smpp_binds", ["account_id"])
    for statement in _PG_UP if op.get_bind().dialect.name == "postgresql" else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _PG_DOWN if op.get_bind().dialect.name == "postgresql" else _SQLITE_DOWN:
        op.execute(statement)
    op.drop_index("ix_smpp_binds_account_id", table_name="smpp_binds")
    op.drop_table("smpp_binds")
    op.drop_index("ix_smpp_outbox_account_id_id", table_name="smpp_outbox")
    op.drop_table("smpp_outbox")
    op.drop_table("smpp_access")
