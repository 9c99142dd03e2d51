"""Migration 0103 fills ``messages.campaign`` of rows accepted before it, from the JSON
``extra`` (``name_delivery``, or ``campaign`` as the cabinet named it), on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Connection, insert, select

from smsrelay.store import Database, alembic_config
from smsrelay.store.schema import accounts, messages


def _upgrade_to_0101(conn: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "0101")


async def test_migration_0103_fills_campaign_from_extra(database_url: str) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    db = await Database.open(database_url)
    try:
        async with db.write() as conn:
            await conn.run_sync(_upgrade_to_0101)
            await conn.execute(
                insert(accounts).values(id=1, login="a", password_hash="x", created_at=now)
            )
            for n, extra in enumerate(
                (
                    {"name_delivery": "spring"},
                    {"campaign": "old web"},
                    {"translite": 1},
                    None,
                ),
                start=1,
            ):
                await conn.execute(
                    insert(messages).values(
                        id=n,
                        account_id=1,
                        phone=f"7900000000{n}",
                        sender="S",
                        text="t",
                        channel="sms",
                        kind="sms",
                        parts=1,
                        price_micros=0,
                        status="delivered",
                        created_at=now,
                        due_at=now,
                        valid_until=now,
                        extra=json.dumps(extra) if extra else None,
                    )
                )
        await db.migrate()
        async with db.read() as conn:
            rows = (
                await conn.execute(select(messages.c.id, messages.c.campaign).order_by("id"))
            ).all()
    finally:
        await db.close()
    assert [(1, "spring"), (2, "old web"), (3, None), (4, None)] == [tuple(r) for r in rows]
