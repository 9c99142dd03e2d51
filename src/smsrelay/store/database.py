"""Connections: one :class:`Database` per process over SQLite (aiosqlite) or PostgreSQL (asyncpg).

User-facing URLs are accepted as written in a config file and mapped to the async drivers::

    sqlite:///relative/path.db     sqlite:////abs/path.db      sqlite+aiosqlite:///...
    postgresql://user@host:5432/db postgres://...              postgresql+asyncpg://...

SQLite allows one writer at a time. Inside the process every write transaction takes an
``asyncio.Lock`` and starts with ``BEGIN IMMEDIATE`` (the write lock is taken up front, so a
transaction never fails half-way with "database is locked"). Between processes (``serve
--workers N``, the CLI beside a server) the writers queue on an exclusive ``flock`` of a
sidecar file (``<database>.writer``) before ``BEGIN IMMEDIATE``: the kernel hands the lock
over the moment it is released, where SQLite's own busy handler polls with sleeps of up to
100 ms and lets a busy writer starve the others. ``busy_timeout`` stays as the net (a writer
that does not take the sidecar lock). Reads run concurrently on other pooled connections
(WAL). The hot write
transactions run as plain ``sqlite3`` code in one writer thread under the same locks
(:meth:`Database.write_unit`, ``store.sqlite_writer``): one thread hand-off per step instead
of several per statement.

PostgreSQL uses a pool whose sessions run with ``plan_cache_mode=force_custom_plan``: the
claim query's best plan depends on the bound ``now``, and a generic cached plan would scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    String,
    any_,
    bindparam,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from ..config import mask_url
from .migration_history import collapse_branch_heads
from .sqlite_writer import SqliteWriter, WriteUnit

__all__ = ["Database", "DatabaseUnavailable", "alembic_config", "migrate", "migrate_sync"]

Dialect = Literal["sqlite", "postgresql"]

_SYNCHRONOUS: Final = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})
_WRITE_OPTION: Final = "smsrelay_write"
_MIGRATIONS: Final = Path(__file__).parent / "migrations"
# any constant shared by every smsrelay process: serializes concurrent migrations on PostgreSQL
_MIGRATION_LOCK_KEY: Final = 0x5353_5245_4C41_5901


class DatabaseUnavailable(ConnectionError):
    """The database could not be reached or opened (the message names it, without password)."""


def _async_url(raw: str) -> tuple[URL, Dialect]:
    """Map a user-facing URL to its async-driver form; refuse what we do not support."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {mask_url(raw)!r}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise ValueError("in-memory SQLite is not supported: give a file path (sqlite:///x.db)")
        return url.set(drivername="sqlite+aiosqlite"), "sqlite"
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg"), "postgresql"
    raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


class Database:
    """An async engine plus the transaction discipline of its dialect.

    Use :meth:`write` for every transaction that changes rows and :meth:`read` for queries.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        dialect: Dialect,
        writer_lock: Path | None = None,
        sqlite_writer: SqliteWriter | None = None,
    ) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{_WRITE_OPTION: True})
        self._dialect: Dialect = dialect
        self._write_lock = asyncio.Lock() if dialect == "sqlite" else None
        self._writer_lock_path = writer_lock
        self._writer_fd: int | None = None
        self._sqlite_writer = sqlite_writer

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        sqlite_synchronous: str = "FULL",
        sqlite_busy_timeout_ms: int = 30_000,
        pool_size: int = 10,
        echo: bool = False,
    ) -> Database:
        """Open (and check) a database; the SQLite file's directory is created if missing."""
        async_url, dialect = _async_url(url)
        writer: SqliteWriter | None = None
        if dialect == "sqlite":
            sync_mode = sqlite_synchronous.upper()
            if sync_mode not in _SYNCHRONOUS:
                raise ValueError(f"sqlite_synchronous must be one of {sorted(_SYNCHRONOUS)}")
            if not 0 <= sqlite_busy_timeout_ms <= 3_600_000:
                raise ValueError("sqlite_busy_timeout_ms must be 0..3600000")
            assert async_url.database is not None
            await asyncio.to_thread(_make_folder, async_url.database)
            try:
                await asyncio.to_thread(_ensure_wal, async_url.database, sqlite_busy_timeout_ms)
            except sqlite3.Error as exc:
                raise DatabaseUnavailable(
                    f"cannot open database {async_url.render_as_string()}: {exc}"
                ) from exc
            engine = create_async_engine(
                async_url, echo=echo, pool_size=pool_size, hide_parameters=True
            )
            _configure_sqlite(engine, sync_mode, sqlite_busy_timeout_ms)
            writer_lock: Path | None = Path(async_url.database + ".writer")
            writer = SqliteWriter(async_url.database, sync_mode, sqlite_busy_timeout_ms)
        else:
            writer_lock = None
            writer = None
            engine = create_async_engine(
                async_url,
                echo=echo,
                hide_parameters=True,  # statement parameters (texts, tokens) never in errors
                pool_size=pool_size,
                max_overflow=pool_size,
                connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
            )
        db = cls(engine, dialect, writer_lock, writer)
        try:
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            await db.close()
            shown = async_url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(f"cannot open database {shown}: {exc}") from exc
        return db

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    def one_of(self, column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
        """``column IN values`` as ONE bound parameter, whatever the number of values: a
        statement text that never changes (cached, prepared once) and no parameter limit.

        PostgreSQL: ``= ANY($1)`` with an array; SQLite: ``IN (SELECT value FROM json_each(?))``.
        """
        if self._dialect == "postgresql":
            return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        members: ScalarSelect[Any] = (
            select(literal_column("value"))
            .select_from(func.json_each(bindparam(None, json.dumps(list(values)), type_=String)))
            .scalar_subquery()
        )
        return column.in_(members)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed on normal exit, rolled back on an exception."""
        if self._write_lock is None:
            async with self._writer.begin() as conn:
                yield conn
            return
        async with self._write_lock:
            await self._lock_writer()
            try:
                async with self._writer.begin() as conn:
                    yield conn
            finally:
                self._unlock_writer()

    async def _lock_writer(self) -> None:
        """The processes' writer queue (module docstring): at once when free (one syscall),
        else waited for in a worker thread (never on the event loop)."""
        if self._writer_lock_path is None:
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(self._writer_lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fd = self._writer_fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
            try:
                await asyncio.shield(waiting)
            except asyncio.CancelledError:  # the thread still takes it: give it back then
                waiting.add_done_callback(self._unlock_when_taken)
                raise

    def _unlock_when_taken(self, waiting: asyncio.Future[None]) -> None:
        if not waiting.cancelled() and waiting.exception() is None:
            self._unlock_writer()

    def _unlock_writer(self) -> None:
        if self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    @property
    def has_write_units(self) -> bool:
        """Whether :meth:`write_unit` is available (SQLite)."""
        return self._sqlite_writer is not None

    @asynccontextmanager
    async def write_unit(self) -> AsyncIterator[WriteUnit]:
        """SQLite only: one write transaction as plain ``sqlite3`` steps in the writer thread
        (``store.sqlite_writer``), under the same write lock as :meth:`write`."""
        if self._sqlite_writer is None or self._write_lock is None:
            raise RuntimeError("write units are for SQLite")
        lock = self._write_lock
        await lock.acquire()
        try:
            await self._lock_writer()
        except BaseException:
            lock.release()
            raise

        def release() -> None:
            self._unlock_writer()
            lock.release()

        unit = WriteUnit(self._sqlite_writer, release)
        try:
            yield unit
        finally:
            unit.end()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """One read-only transaction (a consistent snapshot on both databases)."""
        async with self._engine.connect() as conn:
            yield conn

    async def migrate(self) -> None:
        """Upgrade the schema to the newest revision (idempotent; safe at every start)."""
        async with self.write() as conn:
            if self._dialect == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            await conn.run_sync(_upgrade_head)

    async def close(self) -> None:
        if self._sqlite_writer is not None:
            await self._sqlite_writer.close()
        await self._engine.dispose()
        if self._writer_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._writer_fd)
            self._writer_fd = None


def _make_folder(database: str) -> None:
    Path(database).parent.mkdir(parents=True, exist_ok=True)


def _ensure_wal(database: str, busy_timeout_ms: int) -> None:
    """Put the file in WAL mode (persistent) before any pooled connection opens it.

    Switching a fresh file's journal mode needs an exclusive lock and SQLite answers "database
    is locked" at once, without its busy handler, when another process holds any lock (two
    processes starting on a new file: ``serve`` and ``migrate``). So it is retried here, in a
    worker thread, until it holds or ``busy_timeout_ms`` passed. Once the file is in WAL mode
    the pragma each connection runs is a no-op."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    pause = 0.005
    while True:
        con = sqlite3.connect(database, timeout=busy_timeout_ms / 1000)
        try:
            con.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        finally:
            con.close()
        time.sleep(pause)  # a worker thread, never the event loop
        pause = min(pause * 2, 0.1)


def _configure_sqlite(engine: AsyncEngine, synchronous: str, busy_timeout_ms: int) -> None:
    """Pragmas on every new connection; our own BEGIN (IMMEDIATE for writes)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # the driver must not open transactions itself: we emit BEGIN in _on_begin
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration built in code (no alembic.ini needed at runtime)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade_head(sync_conn: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    collapse_branch_heads(sync_conn, cfg)  # a database of release 0.1 had one row per branch
    command.upgrade(cfg, "head")


async def migrate(url: str, **open_options: Any) -> None:
    """Open ``url``, upgrade its schema to head, close."""
    db = await Database.open(url, **open_options)
    try:
        await db.migrate()
    finally:
        await db.close()


def migrate_sync(url: str) -> None:
    """:func:`migrate` for synchronous callers (the CLI); must not run inside an event loop."""
    asyncio.run(migrate(url))
