"""Stop list, scheduled, incoming, webhook and sub-account pages of the cabinet."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from smsrelay.domain.money import Money
from smsrelay.services.commands import SendItem, SendRecipient
from smsrelay.services.localtime import to_local

from .conftest import Web, make_web


async def test_stop_list_add_and_remove(web: Web) -> None:
    password = await web.account("alice")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post(
            "/lk/stop-list",
            data={"csrf": csrf, "action": "add", "phones": "+7 900 111-22-33, 79004445566"},
        )
        assert ["79001112233", "79004445566"] == re.findall(r'class="mono">(\d+)<', r.text)
        r = await http.post(
            "/lk/stop-list", data={"csrf": csrf, "action": "delete", "phones": "79001112233"}
        )
        assert ["79004445566"] == re.findall(r'class="mono">(\d+)<', r.text)


async def test_cancel_a_scheduled_message_refunds_it(web: Web) -> None:
    """A message scheduled for tomorrow is listed; cancelling it returns its price."""
    password = await web.account("alice", balance="10", any_sender=True)
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    when = to_local(web.clock.now() + timedelta(days=1), record.account)
    [result] = await web.runtime.platform.send(
        record.account,
        [SendItem(recipients=[SendRecipient("79001234567", time_send=when)], sender="S", text="x")],
    )
    assert result.id_sms is not None
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        page = await http.get("/lk/scheduled")
        assert f'value="{result.id_sms}"' in page.text
        assert "9.00" in page.text  # charged at acceptance
        r = await http.post("/lk/scheduled", data={"csrf": csrf, "id": str(result.id_sms)})
        assert "Отменено, деньги возвращены" in r.text
        assert "10.00 RUR" in r.text
        assert f'value="{result.id_sms}"' not in r.text


async def test_incoming_sms_are_listed_and_escaped(web: Web) -> None:
    password = await web.account("alice")
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    inbound = web.runtime.extras["inbound"]
    await inbound.add_number(record.account.id, "79990000000", None)
    await inbound.start()
    try:
        inbound.receive("79001112233", "79990000000", "<b>STOP</b>", web.clock.now(), "sim")
        await inbound.flushed()
        async with web.client() as http:
            await web.login(http, "lk", "alice", password)
            r = await http.get("/lk/incoming")
    finally:
        await inbound.stop()
    assert "&lt;b&gt;STOP&lt;/b&gt;" in r.text and "<b>STOP</b>" not in r.text
    assert "79001112233" in r.text


async def test_webhook_settings(tmp_path: Path) -> None:
    # the address is this host's: allowed explicitly, as for any local receiver (never pushed
    # to here: this platform runs no pusher)
    async for web in make_web(
        f"sqlite:///{tmp_path / 'web.db'}", tmp_path, webhook_allow_private=True
    ):
        await _webhook_settings(web)


async def _webhook_settings(web: Web) -> None:
    password = await web.account("alice")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post(
            "/lk/webhook",
            data={"csrf": csrf, "url": "http://127.0.0.1:9/hook", "format": "xml", "secret": "s3"},
        )
        assert "Вебхук сохранён" in r.text
        record = await web.runtime.stores.accounts.find_by_login("alice")
        assert record is not None
        config = await web.runtime.extras["webhooks"].get(record.account)
        assert ("http://127.0.0.1:9/hook", "xml", "s3") == (
            config.url,
            config.format.value,
            config.secret,
        )
        r = await http.post("/lk/webhook", data={"csrf": csrf, "url": "ftp://x", "format": "json"})
        assert "Адрес не принят" in r.text
        r = await http.post("/lk/webhook", data={"csrf": csrf, "action": "remove"})
        assert "Вебхук удалён" in r.text


async def test_reseller_sees_and_credits_its_sub_accounts_only(web: Web) -> None:
    password = await web.account("reseller", balance="100")
    await web.runtime.admin.create_account("child", "child-pass", parent="reseller")
    await web.account("stranger")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "reseller", password)
        page = await http.get("/lk/clients")
        assert "<b>child</b>" in page.text and "stranger" not in page.text
        r = await http.post(
            "/lk/clients", data={"csrf": csrf, "login": "child", "amount": "30", "action": "x"}
        )
        assert "Перевод выполнен" in r.text
        r = await http.post(
            "/lk/clients", data={"csrf": csrf, "login": "stranger", "amount": "5", "action": "x"}
        )
        assert "Это не ваш субаккаунт" in r.text
    child = await web.runtime.stores.accounts.find_by_login("child")
    stranger = await web.runtime.stores.accounts.find_by_login("stranger")
    assert child is not None and stranger is not None
    assert (Money.parse("30"), Money.parse("100")) == (
        child.account.balance,
        stranger.account.balance,
    )


async def test_time_zone_setting_moves_every_shown_time(web: Web) -> None:
    """Setting the zone to Moscow+4 stores it for the account (X18 uses the same column)."""
    password = await web.account("alice")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post("/lk/settings", data={"csrf": csrf, "action": "tz", "tz": "4"})
        assert "Часовой пояс изменён" in r.text
        assert '<option value="4" selected>' in r.text
        bad = await http.post("/lk/settings", data={"csrf": csrf, "action": "tz", "tz": "40"})
        assert "Выберите часовой пояс из списка" in bad.text
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None and 4 == record.account.tz_offset_hours
