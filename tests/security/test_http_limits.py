"""Finding 5: connections that never finish their headers or body, or idle between requests,
are closed within the configured bounds; connections above the cap are refused. Real
sockets against uvicorn on port 0, with small limits injected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from smsrelay.api.http_limits import HttpLimits, server_config

#: Small bounds; a connection must be closed by then plus this slack.
BOUND = 0.3
SLACK = 2.0


async def _echo(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(f"ok {len(body)}")


Connect = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def _serve(limits: HttpLimits) -> AsyncIterator[Connect]:
    app = Starlette(routes=[Route("/", _echo, methods=["GET", "POST"])])
    config = server_config(
        app, host="127.0.0.1", port=0, limits=limits, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    writers: list[asyncio.StreamWriter] = []

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writers.append(writer)
        return reader, writer

    try:
        yield connect
    finally:
        for w in writers:
            w.close()
        server.should_exit = True
        await serving


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    limits = HttpLimits(
        header_timeout=BOUND, body_timeout=BOUND, keepalive_timeout=BOUND, max_connections=50
    )
    async for c in _serve(limits):
        yield c


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with asyncio.timeout(seconds):
        data = await reader.read()
    return data, loop.time() - start


@pytest.mark.parametrize(
    "partial",
    [
        b"",  # connects and says nothing
        b"GET / HT",  # half a request line
        b"GET / HTTP/1.1\r\nHost: x\r\n",  # headers never end
        b"GET /?text=\xd0\x9a\xd0\xbe\xd0\xb4",  # an unencoded request line, never ended
    ],
)
async def test_unfinished_headers_are_closed_within_the_bound(
    connect: Connect, partial: bytes
) -> None:
    reader, writer = await connect()
    writer.write(partial)
    await writer.drain()
    data, took = await _closed_within(reader, BOUND + SLACK)
    assert b"" == data
    assert took >= BOUND * 0.5


async def test_slowly_dripped_headers_do_not_extend_the_bound(connect: Connect) -> None:
    """A byte at a time keeps the connection busy but not alive past the header bound."""
    reader, writer = await connect()
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises((ConnectionError, TimeoutError)):
        async with asyncio.timeout(BOUND + SLACK):
            for byte in b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 10_000:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.01)
                if reader.at_eof():
                    raise ConnectionError("closed")
    assert loop.time() - start < BOUND + SLACK


async def test_an_unfinished_body_is_closed_within_the_bound(connect: Connect) -> None:
    reader, writer = await connect()
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
    await writer.drain()
    data, _ = await _closed_within(reader, BOUND + SLACK)
    assert b"ok" not in data


async def test_idle_keep_alive_is_closed_and_a_prompt_client_is_served(connect: Connect) -> None:
    """A whole request is answered; the idle connection is then closed after the bound."""
    reader, writer = await connect()
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    await writer.drain()
    data, _ = await _closed_within(reader, BOUND + SLACK)
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert data.endswith(b"ok 3")


async def test_two_requests_on_one_connection_each_get_the_bound(connect: Connect) -> None:
    reader, writer = await connect()
    for _ in range(2):
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        async with asyncio.timeout(SLACK):
            head = await reader.readuntil(b"ok 0")
        assert head.startswith(b"HTTP/1.1 200 OK")


async def test_connections_above_the_cap_are_closed_at_once() -> None:
    limits: Any = HttpLimits(header_timeout=30, body_timeout=30, max_connections=3)
    async for connect in _serve(limits):
        held = [await connect() for _ in range(3)]
        reader, _ = await connect()
        data, took = await _closed_within(reader, SLACK)
        assert (b"", True) == (data, took < SLACK)
        for r, _ in held:
            assert not r.at_eof()


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        HttpLimits(header_timeout=0)
    with pytest.raises(ValueError):
        HttpLimits(max_connections=0)
