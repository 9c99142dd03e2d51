"""The cabinet and the console in a real browser (Debian's Chromium driven by Playwright)
against a whole platform: real database, the simulator SMSC, our SMPP connector, uvicorn.

Screenshots of every page, at laptop and phone width, go to ``tests/web/screenshots/``
(ignored by git; ``SMSRELAY_SCREENSHOTS`` names another folder).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from e2e.conftest import Platform, start_platform
from smsrelay.domain.money import Money

CHROMIUM = os.environ.get("SMSRELAY_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("SMSRELAY_SCREENSHOTS", Path(__file__).parent / "screenshots"))
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(f"sqlite:///{tmp_path / 'web.db'}", tmp_path):
        yield p


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture(autouse=True)
def _shots_folder() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    doc = tmp_path / "letter.pdf"
    doc.write_bytes(b"%PDF-1.4 letter of authority")
    return doc


async def shoot(page: Page, name: str) -> None:
    """The page as it is, at laptop width and at phone width."""
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)


async def login(page: Page, base: str, side: str, name: str, password: str) -> None:
    await page.goto(f"{base}/{side}/login")
    await page.fill("input[name=login]", name)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/{side}/")


async def test_client_and_operator_in_a_browser(
    platform: Platform, browser: Browser, letter: Path
) -> None:
    """A client sends a message and sees it delivered, exports CSV, requests a sender; an
    operator approves it, tops the account up, and sees the carrier link go down."""
    base = platform.base_url
    rt = platform.runtime
    password = "alice-secret-1"
    await rt.admin.create_account("alice", password, balance=Money.parse("250"))
    await rt.admin.add_sender("alice", "Shop", approve=True)
    op_password = "operator-pass-1"
    await rt.extras["web_access"].create_operator("root", op_password)

    client = await browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = await client.new_page()
    await page.goto(f"{base}/lk/")
    await expect(page.locator("h1")).to_have_text("Личный кабинет")
    await shoot(page, "lk-login")
    await login(page, base, "lk", "alice", password)

    # send: pasted numbers with mixed separators, the live estimate, the per-recipient result
    await page.click("nav a[href='/lk/send']")
    await page.fill("textarea[name=phones]", "+7 (900) 123-45-67\n79001234567; 79001230002")
    await page.fill("textarea[name=text]", "Ваш код 1234")
    await expect(page.locator("#estimate")).to_contain_text("UCS2")
    await expect(page.locator("#estimate")).to_contain_text("2.00")
    await shoot(page, "lk-send")
    await page.click("form.send-form button[type=submit]")
    await expect(page.locator("#send-results tbody tr")).to_have_count(2)
    ids = [
        int(x)
        for x in re.findall(r"/lk/history/(\d+)", await page.locator("#send-results").inner_html())
    ]
    assert 2 == len(ids)
    await shoot(page, "lk-send-result")

    # history: the message reaches "deliver" (delivered) as the simulator's receipts arrive
    await platform.waiter.final(ids)
    await page.click("nav a[href='/lk/history']")
    row = page.locator(f"#history tr:has(a[href='/lk/history/{ids[0]}']) .status")
    await expect(row).to_have_attribute("data-word", "delivered")
    await shoot(page, "lk-history")
    await page.click(f"a[href='/lk/history/{ids[0]}']")
    await expect(page.locator("#detail-status")).to_have_attribute("data-word", "delivered")
    await shoot(page, "lk-message")

    # CSV export of the current filter
    await page.goto(f"{base}/lk/history?phone=79001234567")
    async with page.expect_download() as info:
        await page.click("text=Выгрузить CSV")
    download = await info.value
    text = await asyncio.to_thread(Path(await download.path()).read_text)
    rows = list(csv.reader(io.StringIO(text)))
    assert [str(ids[0])] == [r[0] for r in rows[1:]]
    assert "delivered" == rows[1][7]

    # overview with its chart, statement, settings
    await page.click("nav a[href='/lk/']")
    await expect(page.locator("svg.chart rect.seg-delivered")).to_have_count(1)
    await shoot(page, "lk-overview")
    await page.click("nav a[href='/lk/statement']")
    await shoot(page, "lk-statement")
    await page.click("nav a[href='/lk/settings']")
    await shoot(page, "lk-settings")
    for name in ("scheduled", "incoming", "stop-list", "clients", "webhook"):
        await page.click(f"nav a[href='/lk/{name}']")
        await shoot(page, f"lk-{name}")

    # request a sender with a document
    await page.click("nav a[href='/lk/senders']")
    await page.fill("input[name=name]", "NewBrand")
    await page.fill("input[name=name_counterparty]", "ООО «Ромашка»")
    await page.fill("input[name=inn]", "7707083893")
    await page.set_input_files("input[name=document]", str(letter))
    await page.click("text=Отправить на модерацию")
    await expect(page.locator("#senders tr:has-text('NewBrand') .status")).to_have_attribute(
        "data-state", "order"
    )
    await shoot(page, "lk-senders")

    # the operator, in another browser context (its own cookies)
    console = await browser.new_context(viewport=DESKTOP)
    op = await console.new_page()
    await login(op, base, "admin", "root", op_password)
    await expect(op.locator("#connectors .status")).to_have_attribute("data-state", "bound")
    await shoot(op, "admin-live")

    await op.click("nav a[href='/admin/moderation']")
    card = op.locator("article.request:has-text('NewBrand')")
    await expect(card).to_contain_text("Ромашка")
    await shoot(op, "admin-moderation")
    await card.locator("button[value=approve]").click()
    await expect(op.locator(".flash.ok")).to_contain_text("Отправитель одобрен")

    await op.click("nav a[href='/admin/accounts']")
    await op.fill("input[name=q]", "alice")
    await op.click("text=Найти")
    await shoot(op, "admin-accounts")
    await op.click("#accounts a:has-text('alice')")
    await op.fill("input[name=amount]", "100")
    await op.click("form:has(input[value=topup]) button")
    await expect(op.locator("#acc-balance")).to_contain_text("348.00")
    await shoot(op, "admin-account")

    await op.click("nav a[href='/admin/routing']")
    await expect(op.locator("h1")).to_have_text("Операторы и маршруты")
    await shoot(op, "admin-routing")
    await op.click("nav a[href='/admin/reports']")
    await expect(op.locator("#report")).to_contain_text("Итого")
    await shoot(op, "admin-reports")

    await op.click("nav a[href='/admin/audit']")
    await expect(op.locator("#audit")).to_contain_text("sender.approve")
    await expect(op.locator("#audit")).to_contain_text("account.topup")
    await shoot(op, "admin-audit")

    # the client sees the decision and the money
    await page.reload()
    await expect(page.locator("#senders tr:has-text('NewBrand') .status")).to_have_attribute(
        "data-state", "completed"
    )
    await expect(page.locator(".pill.balance")).to_contain_text("348.00")

    # the carrier link drops: the live page, polling by itself, shows the connector down
    await op.click("nav a[href='/admin/']")
    await expect(op.locator("#connectors .status")).to_have_attribute("data-state", "bound")
    assert rt.simulator is not None
    await rt.simulator.stop()
    await expect(op.locator("#connectors .link-down")).to_have_count(1, timeout=15_000)
    # and, once the connector has tried again, why (the reconnect refused)
    await expect(op.locator("#connectors .error-text")).to_have_count(1, timeout=15_000)
    await shoot(op, "admin-live-down")
    await console.close()
    await client.close()


async def test_operator_sets_a_route_price_in_the_console(
    platform: Platform, browser: Browser
) -> None:
    """An operator adds a connector, gives it a route price, then changes that price in its
    row: the table shows each value, as the CLI's ``price set --route`` would have set it."""
    await platform.runtime.extras["web_access"].create_operator("root", "operator-pass-1")
    context = await browser.new_context(viewport=DESKTOP)
    op = await context.new_page()
    await login(op, platform.base_url, "admin", "root", "operator-pass-1")
    await op.goto(platform.base_url + "/admin/routing")
    form = op.locator("form:has(input[value=connector])")
    await form.locator("input[name=name]").fill("backup")
    await form.locator("input[name=host]").fill("127.0.0.1")
    await form.locator("input[name=system_id]").fill("sys")
    await form.locator("button").click()
    await expect(op.locator("#routing-connectors")).to_contain_text("backup")
    prices = op.locator("#route-price-form")
    await prices.locator("select[name=connector]").select_option("backup")
    await prices.locator("input[name=prefix]").fill("7")
    await prices.locator("input[name=price]").fill("0.35")
    await prices.locator("button").click()
    row = op.locator("#routing-route-prices tr:has-text('backup')")
    await expect(row).to_contain_text("0.3500")
    await row.locator("input[name=price]").fill("0.4")
    await row.locator("button").click()
    await expect(op.locator("#routing-route-prices tr:has-text('backup') td.num")).to_have_text(
        "0.4000"
    )
    await shoot(op, "admin-routing-prices")
    config = await platform.runtime.extras["routing_admin"].config()
    assert [("backup", "7", "0.4")] == [
        (p.connector, p.prefix, str(p.price)) for p in config.prices
    ]
    await context.close()


async def test_phone_layout_has_no_sideways_scroll(platform: Platform, browser: Browser) -> None:
    """At phone width the cabinet's pages fit the screen (tables scroll inside their card)."""
    await platform.runtime.admin.create_account("bob", "bob-secret-1", balance=Money.parse("5"))
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await login(page, platform.base_url, "lk", "bob", "bob-secret-1")
    for path in ("/lk/", "/lk/send", "/lk/history", "/lk/senders", "/lk/statement"):
        await page.goto(platform.base_url + path)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], path
    await context.close()


async def test_base_settings_subscriber_and_sender_limits_in_a_browser(
    platform: Platform, browser: Browser
) -> None:
    """A client sets a base's birthday greeting and edits one subscriber; an operator limits
    one of the client's sender names. The pages fit a phone's width."""
    rt = platform.runtime
    await rt.admin.create_account("carol", "carol-secret-1", balance=Money.parse("5"))
    await rt.extras["web_access"].create_operator("root", "operator-pass-1")
    base = platform.base_url
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await login(page, base, "lk", "carol", "carol-secret-1")
    await page.goto(base + "/lk/bases")
    await page.fill("input[name=name]", "Клиенты")
    await page.click("button[value=create]")
    await page.click("#bases a:has-text('Клиенты')")
    await page.fill("textarea[name=phones]", "79001234567, 79001234568")
    await page.click("form:has(input[value=paste]) button")
    form = page.locator("#base-settings")
    await form.locator("input[name=on_birth]").check()
    await form.locator("input[name=time_birth]").fill("10:00")
    await form.locator("input[name=day_before]").fill("1")
    await form.locator("input[name=originator_birth]").fill("Shop")
    await form.locator("textarea[name=greeting]").fill("С днём рождения, {name}!")
    await form.locator("button").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Сохранено")
    await expect(page.locator("#base-settings input[name=on_birth]")).to_be_checked()
    await shoot(page, "lk-base")
    await page.click("#subscribers tr:has-text('79001234567') a")
    await page.fill("#subscriber input[name=name]", "Анна")
    await page.fill("#subscriber input[name=date_birth]", "1990-02-03")
    await page.select_option("#subscriber select[name=male]", "f")
    await page.click("#subscriber button")
    await expect(page.locator(".flash.ok")).to_contain_text("Сохранено")
    await expect(page.locator("#subscriber input[name=date_birth]")).to_have_value("1990-02-03")
    await shoot(page, "lk-subscriber")
    for path in (page.url, base + "/lk/bases"):
        await page.set_viewport_size(PHONE)
        await page.goto(path)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], path
    await page.set_viewport_size(DESKTOP)
    await page.goto(base + "/lk/bases")
    await page.click("#bases a:has-text('Клиенты')")
    await expect(page.locator("#subscribers tr:has-text('79001234567')")).to_contain_text("Анна")

    op = await (await browser.new_context(viewport=DESKTOP)).new_page()
    await login(op, base, "admin", "root", "operator-pass-1")
    record = await rt.stores.accounts.find_by_login("carol")
    assert record is not None
    await op.goto(f"{base}/admin/accounts/{record.account.id}")
    limit = op.locator("#sender-limit")
    await limit.locator("input[name=sender]").fill("Shop")
    await limit.locator("input[name=parts_per_s]").fill("5")
    await limit.locator("button").click()
    await expect(op.locator("#limits tr[data-sender=Shop] td.num")).to_have_text("5")
    await shoot(op, "admin-account-limits")
    await context.close()
