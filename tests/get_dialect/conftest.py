"""The whole platform over real HTTP, served with the lenient request-line protocol that
``smsrelay serve`` uses, plus helpers to speak the GET dialect (encoded, and raw bytes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e.conftest import Platform, start_platform


@dataclass
class GetPlatform(Platform):
    """The e2e ``Platform`` plus the GET dialect."""

    tokens: dict[str, str] = field(default_factory=dict)

    async def get(self, path: str = "/sendsms.php", **params: str) -> httpx.Response:
        return await self.http.get(path, params=params)

    async def get_text(self, **params: str) -> str:
        r = await self.get(**params)
        assert 200 == r.status_code, r.text
        assert "text/plain; charset=utf-8" == r.headers["content-type"]
        return r.text

    def user(self, login: str) -> dict[str, str]:
        """``user`` + ``pwd`` (an argon2 check on first use: slow on a loaded machine)."""
        return {"user": login, "pwd": self.creds[login]["password"]}

    def token(self, login: str) -> dict[str, str]:
        """``token`` (no password hashing: the fast way in)."""
        return {"token": self.tokens[login]}

    async def account(self, login: str, balance: str = "100", **kw: Any) -> dict[str, str]:
        created = await super().account(login, balance, **kw)
        self.tokens[login] = created["token"]
        return created

    async def raw(self, request_line: bytes) -> tuple[int, bytes]:
        """Send one request whose line is written byte for byte; (status, body)."""
        port = int(self.base_url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(request_line + b"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            await writer.drain()
            data = await reader.read()
        finally:
            writer.close()
            await writer.wait_closed()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body


async def start_get_platform(
    database_url: str, tmp: Path, **overrides: Any
) -> AsyncIterator[GetPlatform]:
    # argon2 once per credentials: the suite stays fast
    overrides.setdefault("auth_cache_seconds", 30.0)
    async for p in start_platform(database_url, tmp, GetPlatform, **overrides):
        yield p


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[GetPlatform]:
    """On SQLite: these tests exercise the dialect; the storage paths under it are the
    spine's, run on both databases by ``tests/store`` and ``tests/e2e``."""
    async for p in start_get_platform(f"sqlite:///{tmp_path / 'get.db'}", tmp_path):
        yield p


@pytest.fixture
async def any_platform(database_url: str, tmp_path: Path) -> AsyncIterator[GetPlatform]:
    """The platform on each database (SQLite and PostgreSQL)."""
    async for p in start_get_platform(database_url, tmp_path):
        yield p
