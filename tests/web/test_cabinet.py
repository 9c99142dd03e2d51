"""Cabinet pages over the real services and database."""

from __future__ import annotations

import csv
import io
import re

from smsrelay.domain.money import Money
from smsrelay.services.commands import SendItem, SendRecipient

from .conftest import Web


async def _send_many(web: Web, login: str, phones: list[str], text: str = "hello") -> list[int]:
    record = await web.runtime.stores.accounts.find_by_login(login)
    assert record is not None
    results = await web.runtime.platform.send(
        record.account,
        [SendItem(recipients=[SendRecipient(phone=p) for p in phones], sender="Shop", text=text)],
    )
    return [r.id_sms for r in results if r.id_sms is not None]


async def test_overview_counts_and_chart(web_db: Web) -> None:
    """The overview shows the balance, today's count, the SMS the balance buys per area and a
    stacked SVG bar chart (on both databases: the per-day query differs)."""
    web = web_db
    password = await web.account("alice", balance="50", any_sender=True)
    await _send_many(web, "alice", ["79001230001", "79001230002", "380501112233"])
    async with web.client() as http:
        await web.login(http, "lk", "alice", password)
        r = await http.get("/lk/")
    assert 200 == r.status_code
    html = r.text
    assert '<svg class="chart"' in html
    assert 'class="seg-pending"' in html  # three messages still on their way today
    assert "Обзор" in html  # Russian by default
    # 50 - 1 - 1 - 2 = 46 left: 46 SMS to Russia at 1.00, 23 to Ukraine at 2.00
    assert re.search(r"Russia</td><td class=\"num\">46</td>", html)
    assert re.search(r"Ukraine</td><td class=\"num\">23</td>", html)


async def test_send_normalises_dedupes_and_shows_each_result(web: Web) -> None:
    """Pasted numbers with mixed separators are normalised and de-duplicated; the result
    table has one row per recipient with its id or its refusal."""
    password = await web.account("alice", any_sender=True)
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post(
            "/lk/send",
            data={
                "csrf": csrf,
                "phones": "+7 (900) 123-45-67; 79001234567\n79001234568 79001234569, 12",
                "text": "Код 1234",
                "sender": "Shop",
                "campaign": "spring",
            },
        )
        assert 200 == r.status_code
        assert "Принято: 3 / 3" in r.text
        assert "Удалено повторов: 1" in r.text
        history = await http.get("/lk/history?campaign=spring")
        assert 3 == history.text.count("data-status=")


async def test_estimate_counts_parts_and_price(web: Web) -> None:
    """The live estimate: a Cyrillic text is UCS2; 71 characters make 2 parts; price for 2
    recipients at 1.00 per part is 4.00."""
    password = await web.account("alice")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post(
            "/lk/send/estimate",
            data={"phones": "79001234567\n79001234568", "text": "я" * 71},
            headers={"X-CSRF-Token": csrf},
        )
    assert "UCS2" in r.text
    assert "<b>2</b> частей" in r.text
    assert "<b>4.00</b>" in r.text


async def test_history_pages_by_keyset_newest_first(web: Web) -> None:
    """120 messages: pages of 50 newest first; "older" follows the last id shown, with the
    filter kept."""
    password = await web.account("alice", balance="1000", any_sender=True)
    ids = await _send_many(web, "alice", [f"7900555{i:04d}" for i in range(120)])
    async with web.client() as http:
        await web.login(http, "lk", "alice", password)
        first = await http.get("/lk/history?phone=7900555")
        shown = [int(x) for x in re.findall(r'<td><a href="/lk/history/(\d+)">', first.text)]
        assert sorted(ids, reverse=True)[:50] == shown
        nxt = re.search(r'href="(/lk/history\?phone=7900555&amp;before=\d+)"', first.text)
        assert nxt is not None
        second = await http.get(nxt.group(1).replace("&amp;", "&"))
        shown2 = [int(x) for x in re.findall(r'<td><a href="/lk/history/(\d+)">', second.text)]
        assert sorted(ids, reverse=True)[50:100] == shown2
        filtered = await http.get("/lk/history?status=delivered")
        assert "data-status=" not in filtered.text  # nothing delivered: no engine here


async def test_csv_export_streams_every_row_of_the_filter(web: Web) -> None:
    """The export has every matching row (more than one chunk) and neutralises formulas."""
    password = await web.account("alice", balance="10000", any_sender=True)
    await _send_many(web, "alice", [f"7901{i:07d}" for i in range(2100)], text="=1+1")
    await _send_many(web, "alice", ["79020000000"], text="other")
    async with web.client() as http:
        await web.login(http, "lk", "alice", password)
        r = await http.get("/lk/history.csv?phone=7901")
    assert "text/csv" in r.headers["content-type"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert 2101 == len(rows)  # header + every message of the filter
    assert {"'=1+1"} == {row[4] for row in rows[1:]}


async def test_client_and_carrier_text_is_escaped(web: Web) -> None:
    """Message text and sender names are shown as text, never as markup."""
    password = await web.account("alice", any_sender=True)
    [message] = await _send_many(web, "alice", ["79001234567"], text="<script>alert(1)</script>")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        for path in ("/lk/history", f"/lk/history/{message}"):
            r = await http.get(path)
            assert "<script>alert(1)</script>" not in r.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
        r = await http.post(
            "/lk/senders",
            data={"csrf": csrf, "name": "Shop2", "name_counterparty": '"><img src=x onerror=1>'},
        )
        assert '"><img src=x' not in r.text


async def test_sender_request_with_a_document(web: Web) -> None:
    """A sender request with its document is filed for moderation and listed."""
    password = await web.account("alice")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post(
            "/lk/senders",
            data={"csrf": csrf, "name": "MyShop", "inn": "7707083893", "name_counterparty": "ООО"},
            files={"document": ("letter.pdf", b"%PDF-1.4 test", "application/pdf")},
        )
    assert 200 == r.status_code
    assert "Заявка отправлена на модерацию" in r.text
    assert 'data-state="order"' in r.text
    [listing] = await web.runtime.extras["senders"].list("alice")
    assert listing.file_id is not None


async def test_statement_running_balance_and_language_switch(web: Web) -> None:
    """The statement shows each movement with the balance after it; the language switch
    turns the interface to English for this session."""
    password = await web.account("alice", balance="10")
    await web.runtime.admin.topup("alice", Money.parse("5"))
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.get("/lk/statement")
        assert "Выписка" in r.text
        balances = re.findall(r'<td class="num">([\d\u202f.]+)</td>\s*<td>', r.text)
        assert ["15.00", "10.00"] == balances
        await http.post("/lk/lang", data={"csrf": csrf, "lang": "en", "back": "/lk/statement"})
        r = await http.get("/lk/statement")
        assert "Money movements" in r.text


async def test_send_viber_to_sms_cascade_with_a_validity(web: Web) -> None:
    """The Send page's channel choice reaches acceptance: a Viber→SMS cascade is accepted
    (priced as Viber) and stored on the Viber channel with the validity given."""
    from smsrelay.domain.messages import Channel
    from smsrelay.store.cabinet import SqlCabinetQueries

    await web.runtime.admin.set_price("7", Money.parse("0.5"), "Russia", Channel.VIBER)
    password = await web.account("alice", any_sender=True)
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post(
            "/lk/send",
            data={
                "csrf": csrf,
                "phones": "79001234567",
                "text": "hello",
                "sender": "Shop",
                "channel": "cascade",
                "valid_until": "2099-01-01T10:00",
            },
        )
    assert "Принято: 1 / 1" in r.text
    [id_sms] = [int(x) for x in re.findall(r"/lk/history/(\d+)", r.text)]
    record = await web.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    detail = await SqlCabinetQueries(web.runtime.stores.db).detail(record.account.id, id_sms)
    assert detail is not None
    assert "viber" == detail.row.channel
