"""SQLite's hot write transactions as plain ``sqlite3`` code in one thread (issue 10).

Through SQLAlchemy's async layer every statement is several hand-offs to aiosqlite's thread
(cursor, execute, fetch, close), each a queue put, a thread wake-up and a callback back into
the event loop, plus statement compilation and per-value type processing. The hot
transactions (accept a batch, record submit outcomes, apply receipts) instead run as
functions of a ``sqlite3.Connection`` in ONE dedicated writer thread: a whole transaction is
one or two hand-offs, with text SQL prepared once (``sqlite3``'s statement cache) and
``executemany``.

The writer's connection has the pragmas of every pooled connection (``busy_timeout``, WAL,
``synchronous``, foreign keys). Writers inside the process are serialized by the
:class:`~smsrelay.store.database.Database`'s write lock, which a :class:`WriteUnit` holds
from its first step until its COMMIT or ROLLBACK; other processes wait on ``BEGIN
IMMEDIATE`` (the busy timeout), as the SQLAlchemy writers do. A driver error comes out as
SQLAlchemy's ``DBAPIError`` (``IntegrityError``, ``OperationalError``...), as from any other
write, with its parameters hidden.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

__all__ = ["SqliteWriter", "WriteUnit"]

T = TypeVar("T")

Step = Callable[[sqlite3.Connection], T]


class SqliteWriter:
    """One ``sqlite3`` connection used only by one worker thread (opened there, lazily)."""

    def __init__(self, path: str, synchronous: str, busy_timeout_ms: int) -> None:
        self._path = path
        self._synchronous = synchronous
        self._busy_timeout_ms = busy_timeout_ms
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="smsrelay-sqlite-writer")
        self._con: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:  # in the writer thread
        if self._con is None:
            con = sqlite3.connect(
                self._path, timeout=self._busy_timeout_ms / 1000, isolation_level=None
            )
            con.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute(f"PRAGMA synchronous = {self._synchronous}")
            con.execute("PRAGMA foreign_keys = ON")
            self._con = con
        return self._con

    def _step(self, fn: Step[T], begin: bool, commit: bool) -> T:  # in the writer thread
        con = self._connection()
        try:
            if begin:
                con.execute("BEGIN IMMEDIATE")
            result = fn(con)
            if commit:
                con.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            raise DBAPIError.instance(None, None, exc, sqlite3.Error, hide_parameters=True) from exc

    def _rollback(self) -> None:  # in the writer thread
        if self._con is not None and self._con.in_transaction:
            self._con.execute("ROLLBACK")

    def _close(self) -> None:  # in the writer thread
        if self._con is not None:
            self._con.close()
            self._con = None

    def submit(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._thread, fn)

    async def close(self) -> None:
        await self.submit(self._close)
        self._thread.shutdown(wait=True)


class WriteUnit:
    """One write transaction of the writer, in steps: each :meth:`step` is one hand-off to the
    writer thread (the first one begins the transaction), :meth:`commit` runs its function and
    commits in the same hand-off. Leaving the unit without a commit rolls it back.

    Steps are shielded from cancellation: a cancelled caller leaves the write lock held until
    its step (and the rollback queued behind it) ended in the writer thread.
    """

    def __init__(self, writer: SqliteWriter, release: Callable[[], None]) -> None:
        self._writer = writer
        self._release = release
        self._begun = False
        self._done = False
        self._last: asyncio.Future[Any] | None = None

    async def step(self, fn: Step[T]) -> T:
        return await self._run(fn, commit=False)

    async def commit(self, fn: Step[T]) -> T:
        return await self._run(fn, commit=True)

    async def _run(self, fn: Step[T], commit: bool) -> T:
        if self._done:
            raise RuntimeError("this write unit has ended")
        begin, self._begun = not self._begun, True
        fut = self._writer.submit(lambda: self._writer._step(fn, begin, commit))
        self._last = fut
        result = await asyncio.shield(fut)
        if commit:
            self._done = True
        return result

    def end(self) -> None:
        """Roll back what was not committed (in the writer thread, after any step still
        running there), then release the write lock once that is done."""
        if self._done or not self._begun:
            self._done = True
            if self._last is None or self._last.done():
                self._release()
            else:
                self._last.add_done_callback(_consume_then(self._release))
            return
        self._done = True
        rollback = self._writer.submit(self._writer._rollback)
        rollback.add_done_callback(_consume_then(self._release))


def _consume_then(release: Callable[[], None]) -> Callable[[asyncio.Future[Any]], None]:
    def done(fut: asyncio.Future[Any]) -> None:
        if not fut.cancelled():
            fut.exception()  # retrieved: an error was already raised to the step's caller
        release()

    return done
