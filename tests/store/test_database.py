"""Connections, URLs, migrations, dialect settings and the UTC datetime convention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import StatementError

from smsrelay.domain.money import Money
from smsrelay.store import Database, DatabaseUnavailable, alembic_config, migrate, migrate_sync
from smsrelay.store.database import _async_url
from smsrelay.store.schema import meta, metadata, sqlite_timestamp

from .conftest import NOW, POSTGRES_ONLY, Kit, message

TABLES = {
    "accounts",
    "ledger",
    "prices",
    "senders",
    "stop_list",
    "messages",
    "message_parts",
    "meta",
    "alembic_version",
}


@pytest.mark.parametrize(
    ("url", "driver_url", "dialect"),
    [
        ("sqlite:///var/smsrelay.db", "sqlite+aiosqlite:///var/smsrelay.db", "sqlite"),
        ("sqlite:////srv/smsrelay.db", "sqlite+aiosqlite:////srv/smsrelay.db", "sqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db", "sqlite"),
        ("postgresql://u@db:5432/sms", "postgresql+asyncpg://u@db:5432/sms", "postgresql"),
        ("postgres://u@db/sms", "postgresql+asyncpg://u@db/sms", "postgresql"),
        ("postgresql+asyncpg://u@db/sms", "postgresql+asyncpg://u@db/sms", "postgresql"),
    ],
)
def test_user_facing_urls_map_to_the_async_drivers(url: str, driver_url: str, dialect: str) -> None:
    """Config-file URLs name the database; the store picks aiosqlite or asyncpg for them."""
    resolved, kind = _async_url(url)
    assert (driver_url, dialect) == (resolved.render_as_string(hide_password=False), kind)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "nonsense"])
def test_unsupported_urls_are_refused(url: str) -> None:
    """In-memory SQLite, other databases and garbage are refused with ValueError."""
    with pytest.raises(ValueError):
        _async_url(url)


async def test_sqlite_relative_path_creates_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sqlite:///var/data/x.db`` is relative to the working directory, created if missing."""
    monkeypatch.chdir(tmp_path)
    db = await Database.open("sqlite:///var/data/x.db")
    try:
        assert "sqlite" == db.dialect
        await db.migrate()
    finally:
        await db.close()
    assert (tmp_path / "var" / "data" / "x.db").is_file()


async def test_sqlite_absolute_path_form(tmp_path: Path) -> None:
    """``sqlite:////abs/path.db`` (four slashes) opens an absolute path."""
    target = tmp_path / "abs" / "s.db"
    db = await Database.open(f"sqlite:///{target}")
    await db.close()
    assert target.is_file()


async def test_unreachable_postgres_raises_without_password() -> None:
    """A server that does not answer gives DatabaseUnavailable naming it, password hidden."""
    with pytest.raises(DatabaseUnavailable) as caught:
        await Database.open("postgresql://user:s3cret@127.0.0.1:1/nothing")
    assert "s3cret" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)


async def test_migrations_are_idempotent(database_url: str) -> None:
    """Upgrading an up-to-date schema (from several entry points) is a no-op."""
    await migrate(database_url)
    await migrate(database_url)
    await asyncio.to_thread(migrate_sync, database_url)
    db = await Database.open(database_url)
    try:
        await db.migrate()
        async with db.read() as conn:
            versions = set(await conn.scalars(text("SELECT version_num FROM alembic_version")))
            tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
            prices_version = await conn.scalar(select(meta.c.value))
    finally:
        await db.close()
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert 1 == len(heads)  # the history is one line
    assert heads == versions
    assert TABLES | set(metadata.tables) == tables
    assert "0" == prices_version


async def test_concurrent_migrations_do_not_collide(database_url: str) -> None:
    """Two processes starting at once both migrate safely (lock on PG, IMMEDIATE on SQLite)."""
    await asyncio.gather(migrate(database_url), migrate(database_url))
    db = await Database.open(database_url)
    try:
        async with db.read() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM alembic_version"))
        assert 1 == count
    finally:
        await db.close()


async def test_a_new_sqlite_file_opened_by_several_at_once_becomes_wal(tmp_path: Path) -> None:
    """Several processes starting on a file that does not exist yet: switching it to WAL is
    refused at once (no busy handler) while another holds a lock, so it is retried; all of
    them open it and migrate, none fails with "database is locked"."""
    for n in range(5):
        url = f"sqlite:///{tmp_path / f'new-{n}.db'}"
        await asyncio.gather(*(migrate(url) for _ in range(4)))
        db = await Database.open(url)
        try:
            async with db.read() as conn:
                assert "wal" == await conn.scalar(text("PRAGMA journal_mode"))
        finally:
            await db.close()


def _schema_diff(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_build_exactly_the_declared_schema(database: Database) -> None:
    """The migrated database and ``schema.py`` agree: tables, columns, types, indexes."""
    async with database.read() as conn:
        diff = await conn.run_sync(_schema_diff)
    assert [] == diff


@pytest.mark.parametrize("mode", ["FULL", "NORMAL"])
async def test_sqlite_pragmas(tmp_path: Path, mode: str) -> None:
    """SQLite runs in WAL with the chosen synchronous level, foreign keys and a busy timeout."""
    db = await Database.open(f"sqlite:///{tmp_path / 'p.db'}", sqlite_synchronous=mode)
    try:
        async with db.read() as conn:
            journal = await conn.scalar(text("PRAGMA journal_mode"))
            synchronous = await conn.scalar(text("PRAGMA synchronous"))
            foreign_keys = await conn.scalar(text("PRAGMA foreign_keys"))
            busy = await conn.scalar(text("PRAGMA busy_timeout"))
    finally:
        await db.close()
    assert ("wal", {"FULL": 2, "NORMAL": 1}[mode], 1) == (journal, synchronous, foreign_keys)
    assert busy > 0


async def test_sqlite_synchronous_value_is_checked(tmp_path: Path) -> None:
    """An unknown synchronous level is refused before anything is opened."""
    with pytest.raises(ValueError):
        await Database.open(f"sqlite:///{tmp_path / 'p.db'}", sqlite_synchronous="SOMETIMES")


@pytest.mark.parametrize("database_url", [POSTGRES_ONLY], indirect=True)
async def test_postgres_sessions_never_use_generic_plans(database: Database) -> None:
    """Every pooled PostgreSQL session runs with plan_cache_mode=force_custom_plan."""
    async with database.read() as conn:
        assert "force_custom_plan" == await conn.scalar(text("SHOW plan_cache_mode"))


async def test_datetimes_come_back_aware_utc(kit: Kit) -> None:
    """An instant stored in any zone reads back as the same instant, in aware UTC."""
    moscow = timezone(timedelta(hours=3))
    account = await kit.account()
    send_at = datetime(2026, 1, 2, 15, 30, tzinfo=moscow)
    await kit.accept(account.id, message(account.id, time_send=send_at))
    assert 1 == await kit.queue.release_scheduled(send_at, 10)
    [claimed] = await kit.queue.claim(send_at, 10, timedelta(seconds=5))
    assert datetime(2026, 1, 5, 12, 30, tzinfo=UTC) == claimed.valid_until
    assert UTC == claimed.valid_until.tzinfo


async def test_naive_datetimes_are_refused(kit: Kit) -> None:
    """A naive datetime has no zone: the store refuses it rather than guess."""
    account = await kit.account()
    with pytest.raises((ValueError, StatementError)):
        await kit.accounts.credit(account.id, Money(1), "topup", datetime(2026, 1, 1))


async def test_fast_insert_writes_the_same_timestamps_as_sqlalchemy(kit: Kit) -> None:
    """The hot insert's own timestamps equal what SQLAlchemy writes (sorting depends on it)."""
    account = await kit.account()
    await kit.accept(account.id, message(account.id))
    account_created = await kit.scalar("SELECT created_at FROM accounts")
    message_created = await kit.scalar("SELECT created_at FROM messages")
    assert account_created == message_created
    if kit.db.dialect == "sqlite":
        assert sqlite_timestamp(NOW) == message_created
        assert "2026-01-01 12:00:00.000000" == message_created


async def test_sqlite_writers_never_see_database_is_locked(tmp_path: Path) -> None:
    """Many concurrent write transactions, from two Database objects, all succeed."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    await migrate(url)
    first, second = await Database.open(url), await Database.open(url)
    try:

        async def write(db: Database, n: int) -> None:
            async with db.write() as conn:
                await conn.execute(insert(meta).values(key=f"k{n}", value="v"))
                await asyncio.sleep(0)  # yield inside the transaction: others must wait

        await asyncio.gather(*(write((first, second)[n % 2], n) for n in range(40)))
        async with first.read() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM meta WHERE key LIKE 'k%'"))
    finally:
        await first.close()
        await second.close()
    assert 40 == count
