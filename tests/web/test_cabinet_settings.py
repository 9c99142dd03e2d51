"""Settings gaps of the cabinet: the webhook's "send a test", the SMPP access section, the
interface language kept per account."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from smsrelay.services.smpp_access import SmppAccessService
from smsrelay.services.smpp_outbox import BindRow
from smsrelay.services.webhooks import WebhookConfig, WebhookFormat
from smsrelay.store.schema import messages
from smsrelay.store.schema_webhooks import webhook_outbox
from smsrelay.store.smpp_server import SqlSmppServerStore
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
            assert b'"id_sms":0' in got[0] and b'"state":"deliver"' in got[0]
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


async def test_settings_show_smpp_access_and_only_this_accounts_live_binds(web: Web) -> None:
    store = SqlSmppServerStore(web.runtime.stores.db)
    access = SmppAccessService(store, web.runtime.stores.accounts, web.clock)
    password = await web.account("alice")
    bob_password = await web.account("bob")
    await web.account("carol")
    await access.configure("alice", "smpp-pw", max_binds=3, throughput=55, allowed=["10.1.2.0/24"])
    await access.configure("carol", "carol-pw")
    now = web.clock.now()
    ids = {}
    for login, peer, age in (
        ("alice", "10.1.2.7", 0),
        ("alice", "10.1.2.8", 120),  # not refreshed for two minutes: a dead process
        ("carol", "10.9.9.9", 0),
    ):
        record = await web.runtime.stores.accounts.find_by_login(login)
        assert record is not None
        ids[login] = record.account.id
        await store.add_bind(
            BindRow(
                bind_id=f"{login}-{peer}",
                account_id=record.account.id,
                login=login,
                address=peer,
                bind_type="trx",
                node="n1",
                since=now - timedelta(seconds=age + 60),
                updated_at=now - timedelta(seconds=age),
            )
        )
    async with web.client() as http:
        await web.login(http, "lk", "alice", password)
        r = await http.get("/lk/settings")
        assert "Доступ по SMPP" in r.text
        section = r.text[r.text.index('id="smpp"') :]
        assert "127.0.0.1:" in section and ">alice<" in section
        assert ">3<" in section and "55" in section and "10.1.2.0/24" in section
        assert "10.1.2.7" in section
        assert "10.1.2.8" not in section and "10.9.9.9" not in section
        assert "smpp-pw" not in r.text
    async with web.client() as http:
        await web.login(http, "lk", "bob", bob_password)
        r = await http.get("/lk/settings")
        assert 'id="smpp"' not in r.text and "10.9.9.9" not in r.text


async def test_interface_language_is_kept_per_account_not_the_api_lang(web_db: Web) -> None:
    web = web_db
    password = await web.account("alice")
    bob_password = await web.account("bob")
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    api_lang = record.account.lang
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.get("/lk/settings")
        assert 'id="interface-lang"' in r.text and "Язык интерфейса" in r.text
        r = await http.post("/lk/lang", data={"csrf": csrf, "lang": "en", "back": "/lk/settings"})
        assert 303 == r.status_code and r.headers["location"] == "/lk/settings"
        assert "Interface language" in (await http.get("/lk/settings")).text
    async with web.client() as http:  # a new session: the language is remembered
        await web.login(http, "lk", "alice", password)
        r = await http.get("/lk/")
        assert '<html lang="en">' in r.text
    async with web.client() as http:  # another account keeps the default
        await web.login(http, "lk", "bob", bob_password)
        assert '<html lang="ru">' in (await http.get("/lk/")).text
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None and api_lang == record.account.lang


async def test_webhook_page_lists_real_deliveries_with_their_outcome(web_private: Web) -> None:
    """A real push (outbox row -> pusher) appears under "Last deliveries" with its HTTP
    status; the test button's POST is not recorded there."""
    web = web_private
    got: list[bytes] = []
    server = await _receiver(200, got)
    port = server.sockets[0].getsockname()[1]
    password = await web.account("alice", any_sender=True)
    try:
        async with web.client() as http:
            csrf = await web.login(http, "lk", "alice", password)
            url = f"http://127.0.0.1:{port}/hook"
            await http.post("/lk/webhook", data={"csrf": csrf, "url": url, "format": "json"})
            r = await http.post(
                "/lk/send",
                data={"csrf": csrf, "phones": "79001234567", "text": "hi", "sender": "Shop"},
            )
            assert "Принято: 1 / 1" in r.text
            await http.post("/lk/webhook", data={"csrf": csrf, "action": "test"})
            page = await http.get("/lk/webhook")
            assert "Пока ничего не отправлялось" in page.text
            async with web.runtime.stores.db.write() as conn:
                row = (await conn.execute(select(messages.c.id, messages.c.account_id))).one()
                await conn.execute(
                    insert(webhook_outbox).values(
                        account_id=row.account_id,
                        message_id=row.id,
                        status="delivered",
                        status_at=web.clock.now(),
                    )
                )
            assert 1 == await web.runtime.extras["webhook_pusher"].run_once()
            page = await http.get("/lk/webhook")
        section = page.text[page.text.index("Последние отправки") :]
        assert "<td>200</td>" in section
        assert 2 == len(got)
    finally:
        server.close()
        await server.wait_closed()
