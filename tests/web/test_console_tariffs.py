"""The console's Tariffs page (issue 13), on SQLite and PostgreSQL: an operator lists, creates,
prices and assigns tariffs through the tariff service the CLI uses; each change is audited;
the CSRF token is required; a viewer operator may look but not change."""

from __future__ import annotations

import re

from smsrelay.domain.money import Money
from smsrelay.services.commands import SendItem, SendRecipient

from .conftest import Web


async def test_operator_creates_prices_and_assigns_a_tariff(web_db: Web) -> None:
    web = web_db
    await web.account("alice", balance="100", any_sender=True)
    op_pw = await web.operator("root")
    async with web.client() as http:
        csrf = await web.login(http, "admin", "root", op_pw)
        r = await http.get("/admin/tariffs")
        assert 200 == r.status_code and "Тарифов нет" in r.text
        r = await http.post(
            "/admin/tariffs", data={"csrf": csrf, "action": "create", "name": "Gold"}
        )
        assert "Тариф создан" in r.text and 'data-tariff="Gold"' in r.text
        again = await http.post(
            "/admin/tariffs", data={"csrf": csrf, "action": "create", "name": "Gold"}
        )
        assert "tariff &#39;Gold&#39; exists" in again.text or "tariff 'Gold' exists" in again.text
        r = await http.post(
            "/admin/tariffs",
            data={
                "csrf": csrf,
                "action": "price",
                "name": "Gold",
                "prefix": "7",
                "area": "Russia",
                "price": "0.3125",
                "channel": "sms",
            },
        )
        assert "Сохранено" in r.text
        assert re.search(r'<td class="mono">7</td><td>Russia</td><td>sms</td>', r.text)
        bad = await http.post(
            "/admin/tariffs",
            data={"csrf": csrf, "action": "price", "name": "Gold", "prefix": "7", "price": "x"},
        )
        assert "flash bad" in bad.text
        r = await http.post(
            "/admin/tariffs",
            data={"csrf": csrf, "action": "assign", "name": "Gold", "login": "alice"},
        )
        assert "Тариф назначен" in r.text and "Аккаунты: alice" in r.text
        forged = await http.post(
            "/admin/tariffs", data={"csrf": "wrong", "action": "create", "name": "Evil"}
        )
        assert forged.status_code in (400, 403)
        audit = await http.get("/admin/audit")
    actions = re.findall(r'<td><span class="pill">([a-z.]+)</span>', audit.text)
    assert ["tariff.assign", "tariff.price", "tariff.create", "login"] == actions
    tariffs = web.runtime.extras["tariffs"]
    assert ["Gold"] == await tariffs.names()
    name, _, _ = await tariffs.account_prices("alice")
    assert "Gold" == name
    # the assigned tariff prices alice's next message, to the micro-unit
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    [sent] = await web.runtime.platform.send(
        record.account, [SendItem(recipients=[SendRecipient("79001234567")], sender="S", text="x")]
    )
    assert sent.ok and Money.parse("0.3125") == sent.price
    after = await web.runtime.stores.accounts.get(record.account.id)
    assert after is not None and Money.parse("99.6875") == after.balance
    # back to the default tariff
    async with web.client() as http:
        csrf = await web.login(http, "admin", "root", op_pw)
        await http.post(
            "/admin/tariffs", data={"csrf": csrf, "action": "assign", "name": "", "login": "alice"}
        )
    assert (
        None,
        [],
    ) == (await tariffs.account_prices("alice"))[:2]


async def test_a_viewer_operator_sees_tariffs_but_cannot_change_them(web: Web) -> None:
    await web.runtime.extras["tariffs"].create("Silver")
    await web.runtime.extras["web_access"].create_operator("eve", "viewer-pass-1", "viewer")
    async with web.client() as http:
        csrf = await web.login(http, "admin", "eve", "viewer-pass-1")
        r = await http.get("/admin/tariffs")
        assert 200 == r.status_code and 'data-tariff="Silver"' in r.text
        assert 'name="action" value="create"' not in r.text
        denied = await http.post(
            "/admin/tariffs", data={"csrf": csrf, "action": "create", "name": "Evil"}
        )
        assert 403 == denied.status_code
    assert ["Silver"] == await web.runtime.extras["tariffs"].names()
