"""A lean HTTP/1.1 keep-alive load generator (asyncio streams, pre-built requests).

httpx costs more CPU per request than the server under test; on a 2-core machine the load
generator shares the cores with the platform, so it must be cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

__all__ = ["Client", "build_post"]


def build_post(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: text/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Client:
    """One keep-alive connection sending requests one after another."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, limit=1 << 22
        )

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()


async def run_closed_loop(
    host: str,
    port: int,
    concurrency: int,
    total: int,
    make_request: Callable[[int], bytes],
    on_response: Callable[[int, int, bytes, float], None],
) -> float:
    """``concurrency`` connections send ``total`` requests as fast as answers come back.
    Returns the elapsed seconds."""
    counter = iter(range(total))
    clients = [Client(host, port) for _ in range(concurrency)]
    await asyncio.gather(*(c.connect() for c in clients))

    async def worker(c: Client) -> None:
        for i in counter:
            status, body = await c.request(make_request(i))
            on_response(i, status, body, time.time())

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(c.close() for c in clients))
    return elapsed
