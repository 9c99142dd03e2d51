"""A whole platform in the test process: real database (SQLite file or PostgreSQL), the real
simulator SMSC on a loopback port, our SMPP connector bound to it, the engine, and the HTTP API
served by uvicorn on a loopback port. Tests talk HTTP to it like a client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn

from smsrelay.api.http_limits import HttpLimits, bounded_protocol
from smsrelay.bootstrap import Runtime, build_runtime
from smsrelay.clock import OffsetClock
from smsrelay.config import Settings
from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.services.ports import StatusChange


class StatusWaiter:
    """Collects the engine's status changes; awaits messages reaching a final status."""

    def __init__(self) -> None:
        self.latest: dict[int, MessageStatus] = {}
        self._cond = asyncio.Condition()
        self._loop = asyncio.get_running_loop()

    def __call__(self, changes: Iterable[StatusChange]) -> None:
        for c in changes:
            self.latest[c.message_id] = c.status
        self._loop.create_task(self._notify())

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    async def final(
        self,
        ids: Iterable[int],
        timeout: float = 15.0,  # noqa: ASYNC109 - the helper's bound, applied with asyncio.timeout
    ) -> dict[int, MessageStatus]:
        wanted = list(ids)

        def done() -> bool:
            return all(i in self.latest and self.latest[i].is_final for i in wanted)

        async with asyncio.timeout(timeout):
            async with self._cond:
                await self._cond.wait_for(done)
        return {i: self.latest[i] for i in wanted}


@dataclass
class Platform:
    runtime: Runtime
    base_url: str
    http: httpx.AsyncClient
    clock: OffsetClock
    waiter: StatusWaiter
    creds: dict[str, dict[str, str]] = field(default_factory=dict)

    async def post(self, path: str, body: Any) -> Any:
        r = await self.http.post(path, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    async def post_raw(
        self, path: str, content: bytes, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.http.post(path, content=content, headers=headers or {})

    async def send(
        self, login: str, phone: str, text: str = "hello", sender: str = "Shop", **phone_fields: Any
    ) -> dict[str, Any]:
        body = {
            **self.creds[login],
            "message": [
                {
                    "type_send_1": "sms",
                    "sender": sender,
                    "text": text,
                    "phones": [{"phone": phone, **phone_fields}],
                }
            ],
        }
        answer = await self.post("/json", body)
        return answer["information"][0]

    async def state(self, login: str, id_sms: int, detail: int = 0) -> dict[str, Any]:
        rows = await self.post(
            "/json/state.php", {**self.creds[login], "id_sms": id_sms, "detail": detail}
        )
        return rows[0]

    async def balance(self, login: str) -> dict[str, Any]:
        return await self.post("/json/balance.php", self.creds[login])

    async def account(self, login: str, balance: str = "100", **kw: Any) -> dict[str, str]:
        password = f"pw-{login}"
        _, token = await self.runtime.admin.create_account(
            login, password, balance=Money.parse(balance), **kw
        )
        self.creds[login] = {"login": login, "password": password}
        return {"login": login, "password": password, "token": token}


P = TypeVar("P", bound=Platform)


async def start_platform(
    database_url: str,
    tmp: Path,
    kind: type[P] = Platform,  # type: ignore[assignment]
    *,
    prices: tuple[tuple[str, str, str], ...] = (
        ("7", "1.00", "Russia"),
        ("380", "2.00", "Ukraine"),
    ),
    before_start: Callable[[Runtime], None] | None = None,
    http_timeout: float = 20.0,
    **overrides: Any,
) -> AsyncIterator[P]:
    """The whole platform, served over HTTP exactly as ``smsrelay serve`` serves it (the
    lenient request-line parser included); ``overrides`` replace any default setting."""
    defaults: dict[str, Any] = {
        "port": 0,
        "data_dir": str(tmp),
        "simulator_port": 0,
        "smpp_server_port": 0,
        "simulator_receipt_delay": 0.0,
        "auth_cache_seconds": 0.0,
        "poll_interval": 0.05,
    }
    settings = Settings(database_url=database_url, **{**defaults, **overrides})
    clock = OffsetClock()
    runtime = await build_runtime(settings, clock)
    waiter = StatusWaiter()
    assert runtime.engine is not None
    runtime.engine.add_listener(waiter)
    for prefix, price, area in prices:
        await runtime.admin.set_price(prefix, Money.parse(price), area, Channel.SMS)
    if before_start is not None:
        before_start(runtime)
    await runtime.start()
    server = uvicorn.Server(
        uvicorn.Config(
            runtime.app,
            host="127.0.0.1",
            port=0,
            access_log=False,
            log_level="warning",
            lifespan="off",
            http=bounded_protocol(HttpLimits()),  # as `smsrelay serve` (default limits)
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=http_timeout) as http:
        try:
            yield kind(runtime, base, http, clock, waiter)
        finally:
            server.should_exit = True
            await serving
            await runtime.stop()


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p
