"""Alembic environment, driven from code (``smsrelay.store.database``).

The normal path is :meth:`Database.migrate`, which hands its open connection in
``config.attributes["connection"]`` (inside a write transaction). Developers running the
``alembic`` command (``-x`` free; ``sqlalchemy.url`` set in their config) get the same
behaviour through a temporary :class:`Database`; ``--sql`` renders offline SQL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from smsrelay.store.database import Database, _async_url
from smsrelay.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_url(url: str) -> None:
    db = await Database.open(url)
    try:
        async with db.write() as conn:
            await conn.run_sync(_run)
    finally:
        await db.close()


def _run_offline(url: str) -> None:
    context.configure(
        url=_async_url(url)[0],
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    if context.is_offline_mode():
        _run_offline(url)
    else:
        asyncio.run(_run_with_url(url))


_main()
