"""A whole platform for the Viber tests: real database, the SMSC and Viber simulators on
loopback ports, the engine and the Viber dispatcher, the HTTP API served by uvicorn on a port
bound before the runtime is built (the provider's status callbacks need its address)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from smsrelay.bootstrap import Runtime, build_runtime
from smsrelay.clock import OffsetClock
from smsrelay.config import Settings
from smsrelay.delivery.viber_dispatch import ViberDispatcher
from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.services.ports import StatusChange
from smsrelay.simulator.viber import ViberSimulator
from smsrelay.store.viber import SqlViberStore

SMS_PRICE = "1.00"
VIBER_PRICE = "0.40"


class Waiter:
    """Every status change written by the engine and the Viber dispatcher; awaits one."""

    def __init__(self) -> None:
        self.seen: dict[int, list[MessageStatus]] = {}
        self._cond = asyncio.Condition()
        self._loop = asyncio.get_running_loop()

    def __call__(self, changes: Iterable[StatusChange]) -> None:
        for c in changes:
            self.seen.setdefault(c.message_id, []).append(c.status)
        self._loop.create_task(self._notify())

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    async def reach(
        self,
        id_sms: int,
        status: MessageStatus,
        times: int = 1,
        timeout: float = 15.0,  # noqa: ASYNC109
    ) -> None:
        """Until ``id_sms`` has taken ``status`` ``times`` times (a cascade is submitted twice)."""
        async with asyncio.timeout(timeout), self._cond:
            await self._cond.wait_for(lambda: self.seen.get(id_sms, []).count(status) >= times)

    async def final(self, id_sms: int, timeout: float = 15.0) -> MessageStatus:  # noqa: ASYNC109
        def last() -> MessageStatus | None:
            got = self.seen.get(id_sms)
            return got[-1] if got and got[-1].is_final else None

        async with asyncio.timeout(timeout), self._cond:
            await self._cond.wait_for(lambda: last() is not None)
        found = last()
        assert found is not None
        return found


@dataclass
class ViberPlatform:
    runtime: Runtime
    http: httpx.AsyncClient
    clock: OffsetClock
    waiter: Waiter
    creds: dict[str, str] = field(default_factory=dict)

    @property
    def dispatcher(self) -> ViberDispatcher:
        found: ViberDispatcher = self.runtime.extras["viber"]
        return found

    @property
    def simulator(self) -> ViberSimulator:
        found: ViberSimulator = self.runtime.extras["viber_simulator"]
        return found

    @property
    def store(self) -> SqlViberStore:
        found: SqlViberStore = self.runtime.extras["viber_store"]
        return found

    async def post(self, path: str, body: Any) -> Any:
        r = await self.http.post(path, json=body)
        assert 200 == r.status_code, r.text
        return r.json()

    async def send(self, message: dict[str, Any], **phone: Any) -> dict[str, Any]:
        body = {**self.creds, "message": [{**message, "phones": [phone]}]}
        answer = await self.post("/json", body)
        result: dict[str, Any] = answer["information"][0]
        return result

    async def viber(self, phone: str, cascade: bool = False, **fields: Any) -> int:
        """Send one Viber (or Viber->SMS cascade) message; its id_sms."""
        message: dict[str, Any] = {
            "type_send_1": "viber",
            "sender_viber": "ShopViber",
            "text_viber": "Viber hello",
        }
        if cascade:
            message.update(type_send_2="sms", sender="ShopSms", text="SMS hello")
        message.update({k: v for k, v in fields.items() if k != "validity_period_viber"})
        extra = (
            {"validity_period_viber": fields["validity_period_viber"]}
            if ("validity_period_viber" in fields)
            else {}
        )
        answer = await self.send(message, phone=phone, **extra)
        assert "send" == answer.get("state"), answer
        return int(answer["id_sms"])

    async def state(self, id_sms: int) -> dict[str, Any]:
        rows = await self.post("/json/state.php", {**self.creds, "id_sms": id_sms, "detail": 1})
        row: dict[str, Any] = rows[0]
        return row

    async def balance(self) -> Money:
        answer = await self.post("/json/balance.php", self.creds)
        return Money.parse(str(answer["money"]))


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def start_viber_platform(database_url: str, tmp: Path) -> AsyncIterator[ViberPlatform]:
    sock = _bound_socket()
    settings = Settings(
        database_url=database_url,
        port=sock.getsockname()[1],
        data_dir=str(tmp),
        simulator_port=0,
        smpp_server_port=0,
        simulator_receipt_delay=0.0,
        viber_simulator_port=0,
        viber_simulator_callback_delay=0.0,
        auth_cache_seconds=0.0,
        poll_interval=0.05,
        webhook_pusher=False,
    )
    clock = OffsetClock()
    runtime = await build_runtime(settings, clock)
    waiter = Waiter()
    assert runtime.engine is not None
    runtime.engine.add_listener(waiter)
    runtime.extras["viber"].add_listener(waiter)
    for channel, price in ((Channel.SMS, SMS_PRICE), (Channel.VIBER, VIBER_PRICE)):
        await runtime.admin.set_price("7", Money.parse(price), "Russia", channel)
    _, token = await runtime.admin.create_account(
        "shop", "pw-shop", balance=Money.parse("100"), any_sender=True
    )
    await runtime.start()
    server = uvicorn.Server(
        uvicorn.Config(runtime.app, access_log=False, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{settings.port}"
    async with httpx.AsyncClient(base_url=base, timeout=20.0) as http:
        try:
            yield ViberPlatform(runtime, http, clock, waiter, {"token": token})
        finally:
            server.should_exit = True
            await serving
            await runtime.stop()
            sock.close()


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[ViberPlatform]:
    async for p in start_viber_platform(database_url, tmp_path):
        yield p


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[ViberPlatform]:
    """The platform on SQLite only: for flows whose storage paths the both-database tests
    (``platform``, ``test_store.py``) already cover."""
    async for p in start_viber_platform(f"sqlite:///{tmp_path / 'viber.db'}", tmp_path):
        yield p
