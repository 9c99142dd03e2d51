"""The web side in-process: the real runtime (real database, no engine unless asked) and an
httpx client on its ASGI app, with helpers to log in as a client or an operator."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsrelay.bootstrap import Runtime, build_runtime
from smsrelay.clock import OffsetClock
from smsrelay.config import Settings
from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


@dataclass
class Web:
    runtime: Runtime
    clock: OffsetClock

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.runtime.app), base_url="http://testserver"
        )

    async def account(self, login: str, balance: str = "100", **kw: Any) -> str:
        password = f"pw-{login}-secret"
        await self.runtime.admin.create_account(login, password, balance=Money.parse(balance), **kw)
        return password

    async def operator(self, name: str = "root") -> str:
        password = f"op-{name}-password"
        await self.runtime.extras["web_access"].create_operator(name, password)
        return password

    async def login(self, http: httpx.AsyncClient, side: str, login: str, password: str) -> str:
        """Logs in; returns the session's CSRF token (read from the first page)."""
        page = await http.get(f"/{side}/login")
        r = await http.post(
            f"/{side}/login",
            data={"login": login, "password": password, "csrf": csrf_of(page.text)},
        )
        assert r.status_code == 303, r.text[:800]
        home = await http.get(f"/{side}/")
        assert home.status_code == 200
        return csrf_of(home.text)


async def make_web(database_url: str, tmp: Path, **overrides: Any) -> AsyncIterator[Web]:
    settings = Settings(
        database_url=database_url,
        data_dir=str(tmp),
        simulator=False,
        engine=False,
        auth_cache_seconds=0.0,
        **overrides,
    )
    clock = OffsetClock()
    runtime = await build_runtime(settings, clock)
    for prefix, price, area in (("7", "1.00", "Russia"), ("380", "2.00", "Ukraine")):
        await runtime.admin.set_price(prefix, Money.parse(price), area, Channel.SMS)
    try:
        yield Web(runtime, clock)
    finally:
        await runtime.stop()


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Web]:
    """SQLite only: the HTTP behaviour of pages does not depend on the database."""
    async for w in make_web(f"sqlite:///{tmp_path / 'web.db'}", tmp_path):
        yield w


@pytest.fixture
async def web_db(database_url: str, tmp_path: Path) -> AsyncIterator[Web]:
    """Both databases: for pages whose queries differ by dialect."""
    async for w in make_web(database_url, tmp_path):
        yield w
