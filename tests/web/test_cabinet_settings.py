"""Settings gaps of the cabinet: the webhook's "send a test", the SMPP access section, the
interface language kept per account."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsrelay.services.webhooks import WebhookConfig, WebhookFormat
from smsrelay.store.webhooks import SqlWebhookStore

from .conftest import Web, make_web


@pytest.fixture
async def web_private(tmp_path: Path) -> AsyncIterator[Web]:
    """Webhooks may reach this host (the test receiver listens on 127.0.0.1)."""
    async for w in make_web(
        f"sqlite:///{tmp_path / 'web.db'}", tmp_path, webhook_allow_private=True
    ):
        yield w


async def _receiver(status: int, got: list[bytes]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        got.append(head + await reader.readexactly(length))
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def test_webhook_send_a_test_shows_the_http_status(web_private: Web) -> None:
    web = web_private
    got: list[bytes] = []
    server = await _receiver(200, got)
    port = server.sockets[0].getsockname()[1]
    password = await web.account("alice")
    try:
        async with web.client() as http:
            csrf = await web.login(http, "lk", "alice", password)
            r = await http.post("/lk/webhook", data={"csrf": csrf, "action": "test"})
            assert "Сначала сохраните адрес вебхука" in r.text
            url = f"http://127.0.0.1:{port}/hook"
            r = await http.post(
                "/lk/webhook",
                data={"csrf": csrf, "url": url, "format": "json", "secret": "s3"},
            )
            assert "Отправить тест" in r.text
            r = await http.post("/lk/webhook", data={"csrf": csrf, "action": "test"})
            assert "Тест отправлен" in r.text and "HTTP 200" in r.text
            assert 1 == len(got)
            assert b"POST /hook" in got[0] and b"x-smsrelay-signature: sha256=" in got[0].lower()
            assert b"\"id_sms\":0" in got[0] and b"\"state\":\"deliver\"" in got[0]
    finally:
        server.close()
        await server.wait_closed()


async def test_webhook_test_shows_a_refusal_or_an_error(web: Web) -> None:
    """Without allow_private the SSRF guard refuses 127.0.0.1 at push time: the page says so."""
    got: list[bytes] = []
    server = await _receiver(500, got)
    port = server.sockets[0].getsockname()[1]
    password = await web.account("alice")
    try:
        async with web.client() as http:
            csrf = await web.login(http, "lk", "alice", password)
            r = await http.post(
                "/lk/webhook",
                data={"csrf": csrf, "url": f"http://127.0.0.1:{port}/h", "format": "xml"},
            )
            assert "Адрес не принят" in r.text
            # stored before the policy changed: the guard refuses it again at push time
            record = await web.runtime.stores.accounts.find_by_login("alice")
            assert record is not None
            await SqlWebhookStore(web.runtime.stores.db).set_webhook(
                record.account.id,
                WebhookConfig(f"http://127.0.0.1:{port}/h", WebhookFormat.XML),
                web.clock.now(),
            )
            r = await http.post("/lk/webhook", data={"csrf": csrf, "action": "test"})
            assert "Тест не принят" in r.text
            assert "refused" in r.text
            assert [] == got
    finally:
        server.close()
        await server.wait_closed()


async def test_webhook_test_shows_a_failing_status(web_private: Web) -> None:
    web = web_private
    got: list[bytes] = []
    server = await _receiver(500, got)
    port = server.sockets[0].getsockname()[1]
    password = await web.account("alice")
    try:
        async with web.client() as http:
            csrf = await web.login(http, "lk", "alice", password)
            await http.post(
                "/lk/webhook",
                data={"csrf": csrf, "url": f"http://127.0.0.1:{port}/h", "format": "xml"},
            )
            r = await http.post("/lk/webhook", data={"csrf": csrf, "action": "test"})
            assert "Тест не принят" in r.text and "HTTP 500" in r.text
            assert 1 == len(got) and b"<?xml" in got[0]
    finally:
        server.close()
        await server.wait_closed()
