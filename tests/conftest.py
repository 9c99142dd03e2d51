"""Fixtures shared by every test suite."""

from __future__ import annotations

# ============================================================================================
# Storage fixtures (owner: store). Any suite can run on BOTH databases by asking for
# ``database_url`` (a fresh, empty database per test) or ``database`` (opened and migrated).
#
# * sqlite:     a real file in the test's tmp_path;
# * postgresql: a new database with a random name on ``SMSRELAY_TEST_POSTGRES_URL``
#               (default postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards.
#               Marked ``postgres``; an unreachable server FAILS the test (never skips).
# ============================================================================================
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import pytest

from smsrelay.store import Database

POSTGRES_URL_ENV = "SMSRELAY_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_admin_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin_connection(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    except (OSError, asyncpg.PostgresError) as exc:
        problem = repr(exc)
    pytest.fail(
        f"PostgreSQL is unreachable at {urlsplit(url).hostname}:{urlsplit(url).port} ({problem}). "
        f"Start it, or point "
        f"{POSTGRES_URL_ENV} at a server where this user may CREATE DATABASE.",
        pytrace=False,
    )


@asynccontextmanager
async def fresh_postgres_database(admin_url: str | None = None) -> AsyncIterator[str]:
    """A new empty database for the duration of the block; its URL (same server and user)."""
    admin_url = admin_url or postgres_admin_url()
    name = f"smsrelay_test_{secrets.token_hex(6)}"
    admin = await _admin_connection(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(admin_url, name)
    finally:
        admin = await _admin_connection(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of each kind: ``sqlite:///...`` or ``postgresql://...``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'smsrelay.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An opened, migrated :class:`Database` on a fresh database of each kind."""
    db = await Database.open(database_url)
    try:
        await db.migrate()
        yield db
    finally:
        await db.close()


# ============================================================================================
# end of storage fixtures
# ============================================================================================
