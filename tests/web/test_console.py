"""Operator console pages: accounts, moderation, live, audit."""

from __future__ import annotations

import re

from smsrelay.services.routing import ConnectorSpec

from .conftest import Web


async def test_operator_manages_an_account_and_every_action_is_audited(web: Web) -> None:
    """Create, top up, lock, unlock, new token, new password: each one works through the
    services and leaves an audit row naming the operator."""
    password = await web.operator("root")
    async with web.client() as http:
        csrf = await web.login(http, "admin", "root", password)
        r = await http.post(
            "/admin/accounts",
            data={"csrf": csrf, "login": "shop", "password": "shop-pass-1", "balance": "10"},
        )
        assert "Аккаунт создан" in r.text
        record = await web.runtime.stores.accounts.find_by_login("shop")
        assert record is not None
        page = f"/admin/accounts/{record.account.id}"
        r = await http.post(page, data={"csrf": csrf, "action": "topup", "amount": "90.50"})
        assert "100.50" in r.text
        await http.post(page, data={"csrf": csrf, "action": "lock"})
        assert (await web.runtime.stores.accounts.get(record.account.id)).locked  # type: ignore[union-attr]
        await http.post(page, data={"csrf": csrf, "action": "unlock"})
        r = await http.post(page, data={"csrf": csrf, "action": "token"})
        token = re.search(r'<span class="mono">([0-9a-f]{40})</span>', r.text)
        assert token is not None
        assert (await web.runtime.stores.accounts.find_by_token(token.group(1))) is not None
        await http.post(page, data={"csrf": csrf, "action": "password", "password": "new-pass-2"})
        found = await http.get("/admin/accounts?q=sho")
        assert ">shop</b>" in found.text
        audit = await http.get("/admin/audit")
    actions = re.findall(r'<td><span class="pill">([a-z.]+)</span>', audit.text)
    assert [
        "account.password",
        "account.token",
        "account.unlock",
        "account.lock",
        "account.topup",
        "account.create",
        "login",
    ] == actions
    async with web.client() as http:
        await web.login(http, "lk", "shop", "new-pass-2")


async def test_moderation_approve_and_reject(web: Web) -> None:
    """Pending requests are listed with their details (escaped); approve makes the name
    usable, reject stores the comment the client then sees."""
    client_pw = await web.account("alice")
    op_pw = await web.operator("root")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", client_pw)
        for name in ("GoodName", "BadName"):
            await http.post(
                "/lk/senders",
                data={"csrf": csrf, "name": name, "name_counterparty": "<b>ACME</b>"},
                files={"document": ("a.pdf", b"%PDF", "application/pdf")},
            )
    async with web.client() as http:
        csrf = await web.login(http, "admin", "root", op_pw)
        r = await http.get("/admin/moderation")
        assert "&lt;b&gt;ACME&lt;/b&gt;" in r.text and "<b>ACME</b>" not in r.text
        doc = re.search(r'href="(/admin/files/alice/\d+)"', r.text)
        assert doc is not None
        d = await http.get(doc.group(1))
        assert (200, b"%PDF") == (d.status_code, d.content)
        assert "attachment" in d.headers["content-disposition"]
        await http.post(
            "/admin/moderation",
            data={"csrf": csrf, "login": "alice", "name": "GoodName", "action": "approve"},
        )
        await http.post(
            "/admin/moderation",
            data={
                "csrf": csrf,
                "login": "alice",
                "name": "BadName",
                "action": "reject",
                "comment": "no letter",
            },
        )
    listing = {s.name: s for s in await web.runtime.extras["senders"].list("alice")}
    assert "completed" == listing["GoodName"].state.value
    assert "rejected" == listing["BadName"].state.value
    async with web.client() as http:
        await web.login(http, "lk", "alice", client_pw)
        r = await http.get("/lk/senders")
        assert "no letter" in r.text


async def test_live_panel(web: Web) -> None:
    """The live page shows the queue by state and refreshes itself by htmx polling."""
    op_pw = await web.operator("root")
    async with web.client() as http:
        await web.login(http, "admin", "root", op_pw)
        page = await http.get("/admin/")
        assert 'hx-get="/admin/live/panel"' in page.text and "every 2s" in page.text
        panel = await http.get("/admin/live/panel")
    assert "queued" in panel.text and "scheduled" in panel.text


async def test_carriers_and_routes_are_editable_and_audited(web: Web) -> None:
    """A connector, a route and a list price added from the console are in the routing
    configuration the engine reloads; a bad value is refused with a message."""
    op_pw = await web.operator("root")
    async with web.client() as http:
        csrf = await web.login(http, "admin", "root", op_pw)
        r = await http.post(
            "/admin/routing",
            data={
                "csrf": csrf,
                "action": "connector",
                "name": "main",
                "host": "127.0.0.1",
                "port": "2775",
                "system_id": "sys",
                "password": "pw",
                "window": "50",
            },
        )
        assert "Сохранено" in r.text
        r = await http.post(
            "/admin/routing",
            data={"csrf": csrf, "action": "route", "prefix": "7", "connectors": "main"},
        )
        assert 'class="mono">7</td><td>main' in r.text
        r = await http.post(
            "/admin/routing",
            data={"csrf": csrf, "action": "route", "prefix": "8", "connectors": "nosuch"},
        )
        assert "no connector named" in r.text
        await http.post(
            "/admin/routing",
            data={"csrf": csrf, "action": "price", "prefix": "375", "area": "BY", "price": "2.5"},
        )
        audit = await http.get("/admin/audit")
    config = await web.runtime.extras["routing_admin"].config()
    assert (["main"], [("7", ("main",))]) == (
        [c.name for c in config.connectors],
        [(r.prefix, r.connectors) for r in config.routes],
    )
    prices = await web.runtime.stores.accounts.price_list()
    entry = prices.lookup("375291234567")
    assert entry is not None and "BY" == entry.area
    for action in ("connector.put", "route.put", "price.set"):
        assert action in audit.text


async def test_reports_by_day_account_area_and_connector(web_db: Web) -> None:
    """Traffic and revenue grouped four ways, on both databases; the CSV has the same rows."""
    web = web_db
    from smsrelay.services.commands import SendItem, SendRecipient

    await web.account("alice", balance="100", any_sender=True)
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    phones = ["79001234567", "79001234568", "380501112233"]
    await web.runtime.platform.send(
        record.account,
        [SendItem(recipients=[SendRecipient(p) for p in phones], sender="S", text="x")],
    )
    op_pw = await web.operator("root")
    async with web.client() as http:
        await web.login(http, "admin", "root", op_pw)
        by_area = await http.get("/admin/reports?by=area")
        by_account = await http.get("/admin/reports?by=account")
        by_day = await http.get("/admin/reports?by=day")
        csv_text = (await http.get("/admin/reports.csv?by=area")).text
    assert re.search(r"<td>Russia</td><td class=\"num\">2</td>", by_area.text)
    assert re.search(r"<td>Ukraine</td><td class=\"num\">1</td>", by_area.text)
    assert re.search(r"<td>alice</td><td class=\"num\">3</td>", by_account.text)
    assert web.clock.now().date().isoformat() in by_day.text
    assert "Russia,2,2,0,2.00" in csv_text and "Ukraine,1,1,0,2.00" in csv_text


async def test_a_viewer_operator_may_look_but_not_change(web: Web) -> None:
    await web.runtime.extras["web_access"].create_operator("eve", "viewer-pass-1", "viewer")
    await web.account("alice")
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    async with web.client() as http:
        csrf = await web.login(http, "admin", "eve", "viewer-pass-1")
        assert 200 == (await http.get(f"/admin/accounts/{record.account.id}")).status_code
        r = await http.post(
            f"/admin/accounts/{record.account.id}",
            data={"csrf": csrf, "action": "topup", "amount": "5"},
        )
        assert 403 == r.status_code
        assert 303 == (await http.post("/admin/logout", data={"csrf": csrf})).status_code
    again = await web.runtime.stores.accounts.get(record.account.id)
    assert again is not None and "100" == again.balance.format()


async def test_account_limit_and_activation(web: Web) -> None:
    """A per-account limit goes to the routing configuration; a self-registered account is
    listed as awaiting activation and activated from its page."""
    from smsrelay.services.registration import RegistrationForm

    op_pw = await web.operator("root")
    await web.account("alice")
    form = RegistrationForm.from_params(
        {
            "registration": "1",
            "businessman": "fl",
            "login": "selfreg",
            "password": "selfreg-pass-1",
            "name": "Иван Петров",
            "city": "Москва",
            "phone": "79001234567",
            "e_mail": "ivan@example.com",
            "address_facto": "ул. Ленина, д. 1, кв. 2",
        }
    )
    problems = await web.runtime.extras["registration"].register(form)
    async with web.client() as http:
        csrf = await web.login(http, "admin", "root", op_pw)
        alice = await web.runtime.stores.accounts.find_by_login("alice")
        assert alice is not None
        await http.post(
            f"/admin/accounts/{alice.account.id}",
            data={"csrf": csrf, "action": "limit", "parts_per_s": "25"},
        )
        listing = await http.get("/admin/accounts?q=selfreg")
        assert "Ждёт активации" in listing.text
        pending = re.search(r'href="/admin/accounts/(\d+)"><b>selfreg', listing.text)
        assert pending is not None
        page = await http.get(f"/admin/accounts/{pending.group(1)}")
        assert "Активировать" in page.text
        r = await http.post("/admin/accounts/activate", data={"csrf": csrf, "login": "selfreg"})
        assert 303 == r.status_code
        assert await web.runtime.stores.accounts.find_by_login("selfreg") is not None
    config = await web.runtime.extras["routing_admin"].config()
    assert [25.0] == [lim.parts_per_s for lim in config.limits]
    assert [] == problems


async def test_live_rates_and_since_from_samples(web: Web) -> None:
    """Rates come from the difference between two looks; 'since' is when the console first
    saw a link in its state."""
    from smsrelay.services.console import ConnectorStatus, ConsoleService
    from smsrelay.store.cabinet import SqlConsoleQueries

    submitted = [0]

    def connectors() -> list[ConnectorStatus]:
        return [ConnectorStatus("c", "bound", True, 10, 0, submitted[0], 0, 0)]

    console = ConsoleService(SqlConsoleQueries(web.runtime.stores.db), web.clock, connectors)
    first = await console.live()
    submitted[0] = 50
    web.clock.advance(10)
    second = await console.live()
    assert (0.0, 0.0) == (first.submitted_per_s, first.connectors[0].submit_rate)
    rates = (second.submitted_per_s, second.connectors[0].submit_rate)
    assert (5.0, 5.0) == tuple(round(r, 1) for r in rates)  # 50 in 10 s (+ real milliseconds)


async def test_route_prices_are_editable_like_the_cli(web: Web) -> None:
    """A route price set and then changed from the console goes through the CLI's service
    (RoutingAdmin.set_route_price): it is in the routing configuration with a new version (what
    the running engine polls), audited; a bad amount is refused with a message, a request without
    the CSRF token and a viewer operator are refused and change nothing."""
    op_pw = await web.operator("root")
    await web.runtime.extras["web_access"].create_operator("eve", "viewer-pass-1", "viewer")
    routing = web.runtime.extras["routing_admin"]
    await routing.add_connector(ConnectorSpec("main", "127.0.0.1", 2775, "sys", "pw"))
    async with web.client() as http:
        csrf = await web.login(http, "admin", "root", op_pw)
        page = await http.get("/admin/routing")
        assert 'id="route-price-form"' in page.text and "<option>main</option>" in page.text
        before = (await routing.config()).version
        r = await http.post(
            "/admin/routing",
            data={
                "csrf": csrf,
                "action": "route_price",
                "connector": "main",
                "prefix": "7",
                "price": "0.45",
            },
        )
        assert "Сохранено" in r.text
        table = r.text[r.text.index('id="routing-route-prices"') :]
        assert '<b>main</b></td><td class="mono">7</td><td class="num">0.4500' in table
        config = await routing.config()
        assert [("main", "7", "0.45")] == [
            (p.connector, p.prefix, str(p.price)) for p in config.prices
        ]
        assert config.version > before
        # the row's own form changes it (the same action)
        await http.post(
            "/admin/routing",
            data={
                "csrf": csrf,
                "action": "route_price",
                "connector": "main",
                "prefix": "7",
                "price": "0.5",
            },
        )
        r = await http.post(
            "/admin/routing",
            data={
                "csrf": csrf,
                "action": "route_price",
                "connector": "main",
                "prefix": "7",
                "price": "-1",
            },
        )
        assert "must be positive" in r.text
        r = await http.post(
            "/admin/routing",
            data={"action": "route_price", "connector": "main", "prefix": "7", "price": "9"},
        )
        assert 403 == r.status_code
        audit = await http.get("/admin/audit")
        assert "route_price.set" in audit.text and "main/7" in audit.text
    async with web.client() as http:
        csrf = await web.login(http, "admin", "eve", "viewer-pass-1")
        assert "0.5000" in (await http.get("/admin/routing")).text
        r = await http.post(
            "/admin/routing",
            data={
                "csrf": csrf,
                "action": "route_price",
                "connector": "main",
                "prefix": "7",
                "price": "9",
            },
        )
        assert 403 == r.status_code
    config = await routing.config()
    assert [("main", "7", "0.5")] == [(p.connector, p.prefix, str(p.price)) for p in config.prices]


async def test_sender_name_limits_on_the_account_page(web: Web) -> None:
    """The account page shows the account's limit and each sender name's (the CLI's
    ``account limit --sender`` included), sets and removes them through ``RoutingAdmin``,
    audits each change, refuses bad input with a reason; a viewer and a request without the
    CSRF token change nothing."""
    await web.runtime.extras["web_access"].create_operator("eve", "viewer-pass-1", "viewer")
    op_pw = await web.operator("root")
    await web.account("alice")
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    routing = web.runtime.extras["routing_admin"]
    await routing.set_limit(
        "alice", 7.0, "Promo"
    )  # as `smsrelay account limit alice 7 --sender Promo`

    async def limits() -> set[tuple[str, float]]:
        config = await routing.config()
        return {(lim.sender, lim.parts_per_s) for lim in config.limits}

    url = f"/admin/accounts/{record.account.id}"
    async with web.client() as http:
        csrf = await web.login(http, "admin", "root", op_pw)
        page = await http.get(url)
        assert 'data-sender="Promo"' in page.text and "Без лимита" in page.text
        await http.post(url, data={"csrf": csrf, "action": "limit", "parts_per_s": "25"})
        r = await http.post(
            url,
            data={"csrf": csrf, "action": "sender_limit", "sender": "Shop", "parts_per_s": "2,5"},
        )
        assert "Сохранено" in r.text and 'data-sender="Shop"' in r.text
        assert {("", 25.0), ("Promo", 7.0), ("Shop", 2.5)} == await limits()
        for bad, reason in (
            ({"sender": "Way too long a name"}, "Введите имя отправителя"),
            ({"sender": ""}, "Введите имя отправителя"),
            ({"parts_per_s": "nan"}, "Лимит — число частей в секунду"),
            ({"parts_per_s": "200000"}, "Лимит — число частей в секунду"),
            ({"parts_per_s": "-1"}, "Лимит — число частей в секунду"),
        ):
            data = {"csrf": csrf, "action": "sender_limit", "sender": "Shop", "parts_per_s": "1"}
            r = await http.post(url, data={**data, **bad})
            assert reason in r.text, bad
        r = await http.post(
            url,
            data={"csrf": csrf, "action": "sender_limit", "sender": "Promo", "parts_per_s": "0"},
        )
        assert "Лимит снят" in r.text and 'data-sender="Promo"' not in r.text
        assert {("", 25.0), ("Shop", 2.5)} == await limits()
        r = await http.post(
            url, data={"action": "sender_limit", "sender": "Shop", "parts_per_s": "0"}
        )
        assert 403 == r.status_code
        audit = await http.get("/admin/audit")
        assert "account.sender_limit" in audit.text
        assert "alice/Shop" in audit.text and "alice/Promo" in audit.text
    async with web.client() as http:
        csrf = await web.login(http, "admin", "eve", "viewer-pass-1")
        page = await http.get(url)
        assert 'data-sender="Shop"' in page.text and 'id="sender-limit"' not in page.text
        r = await http.post(
            url, data={"csrf": csrf, "action": "sender_limit", "sender": "Shop", "parts_per_s": "0"}
        )
        assert 403 == r.status_code
    assert {("", 25.0), ("Shop", 2.5)} == await limits()
