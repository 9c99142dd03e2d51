"""A real HTTP receiver for webhook pushes (asyncio server on a loopback port), and helpers.

The receiver records every POST and answers with whatever its ``handler`` decides: ack some
ids, fail with 500, hang until released (the pusher's timeout fires), come back later.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.services.webhooks import WebhookFormat

MAX_REQUEST = 4 * 1024 * 1024


@dataclass
class Push:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def ids(self) -> list[int]:
        return [int(row["id_sms"]) for row in self.json()]


Handler = Callable[[Push], Awaitable[tuple[int, bytes]]]


def ack(ids: list[int], fmt: WebhookFormat = WebhookFormat.JSON) -> bytes:
    if fmt is WebhookFormat.XML:
        inner = "".join(f"<id_sms>{i}</id_sms>" for i in ids)
        return f'<?xml version="1.0" encoding="utf-8" ?><response>{inner}</response>'.encode()
    return json.dumps([{"id_sms": i} for i in ids]).encode()


async def ack_all(push: Push) -> tuple[int, bytes]:
    return 200, ack(push.ids())


@dataclass
class Receiver:
    handler: Handler = ack_all
    pushes: list[Push] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _conns: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._conns):
            task.cancel()
        await asyncio.gather(*self._conns, return_exceptions=True)
        await self._server.wait_closed()

    async def wait_for(self, count: int, within: float = 10.0) -> list[Push]:
        """Until at least ``count`` pushes arrived in total."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.pushes) >= count)
        return list(self.pushes)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
            }
            length = int(headers.get("content-length", "0"))
            assert length <= MAX_REQUEST
            body = await reader.readexactly(length)
            push = Push(path, headers, body)
            async with self._arrived:
                self.pushes.append(push)
                self._arrived.notify_all()
            status, answer = await self.handler(push)
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._conns.discard(task)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


#: Platform settings for webhook tests: the pusher runs only when a test says so (run_once),
#: POSTs time out after 2 s, retries wait 10 s of (offset) clock time. The receiver listens on
#: loopback, which the SSRF guard refuses unless webhook_allow_private says otherwise.
MANUAL = {
    "webhook_pusher": False,
    "webhook_timeout": 2.0,
    "webhook_backoff_seconds": 10.0,
    "webhook_allow_private": True,
}


@pytest.fixture
async def manual(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    """A platform whose pusher only pushes when the test calls ``run_once``."""
    async for p in start_platform(database_url, tmp_path, **MANUAL):
        yield p


@pytest.fixture
async def live(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    """A platform whose pusher runs its loop (woken by status changes)."""
    async for p in start_platform(
        database_url,
        tmp_path,
        webhook_timeout=5.0,
        webhook_poll_interval=0.05,
        webhook_allow_private=True,  # the receiver is on loopback
    ):
        yield p
