"""W1 /xml/stats.php and our /xml/stats_summary.php over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.domain.status import MessageStatus


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p


def xml(login: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><request><security>'
        f'<login value="{login}"/><password value="pw-{login}"/></security>{body}</request>'
    ).encode()


async def send(platform: Platform, login: str, phone: str, text: str, campaign: str) -> int:
    body = {
        **platform.creds[login],
        "message": [
            {
                "type_send_1": "sms",
                "sender": "Shop",
                "text": text,
                "name_delivery": campaign,
                "phones": [{"phone": phone}],
            }
        ],
    }
    return int((await platform.post("/json", body))["information"][0]["id_sms"])


async def call(platform: Platform, path: str, login: str, body: str) -> ElementTree.Element:
    r = await platform.post_raw(path, xml(login, body))
    assert 200 == r.status_code
    return ElementTree.fromstring(r.content)


async def test_w1_lists_parts_masked_and_filtered(platform: Platform) -> None:
    await platform.account("alice", balance="100", any_sender=True)
    delivered = (await platform.send("alice", "79001234567", "x" * 170))["id_sms"]  # 2 parts
    failed = await send(platform, "alice", "79001239001", "y", "Sale")
    final = await platform.waiter.final([delivered, failed])
    assert MessageStatus.DELIVERED == final[delivered]
    root = await call(platform, "/xml/stats.php", "alice", "<stats/>")
    [stats] = root.iter("stats")
    rows = list(stats.iter("stat"))
    assert "3" == stats.get("num_stats") and 3 == len(rows)
    first = rows[0].attrib
    assert ("7900123****", "deliver", "Доставлено", "1", "2", "1", "Шлюз") == (
        first["phone"],
        first["status"],
        first["status_translate"],
        first["part_no"],
        first["num_parts"],
        first["price"],
        first["name_delivery"],
    )
    assert 19 == len(first["time"]) and 19 == len(first["time_change_state"])
    assert "Sale" == rows[2].get("name_delivery")
    only = await call(platform, "/xml/stats.php", "alice", '<stats state="deliver"/>')
    assert {str(delivered)} == {s.get("id_sms") for s in only.iter("stat")}
    by_phone = await call(platform, "/xml/stats.php", "alice", '<stats phone="79001239001"/>')
    assert {str(failed)} == {s.get("id_sms") for s in by_phone.iter("stat")}
    bad = await call(platform, "/xml/stats.php", "alice", '<stats date_start="yesterday"/>')
    assert "Некорректный формат даты" == bad.findtext("error")
    unknown = await call(platform, "/xml/stats.php", "alice", '<stats operator="nosuchtelecom"/>')
    assert "Такой оператор не обнаружен" == unknown.findtext("error")
    old = await call(
        platform,
        "/xml/stats.php",
        "alice",
        '<stats date_start="2001-01-01" date_stop="2001-02-01"/>',
    )
    assert "0" == next(old.iter("stats")).get("num_stats")


async def test_summary_by_status_and_campaign(platform: Platform) -> None:
    await platform.account("bob", balance="100", any_sender=True)
    ids = [await send(platform, "bob", f"7900123400{n}", "hi", "AB"[n // 3]) for n in range(5)]
    await platform.waiter.final(ids)
    root = await call(
        platform, "/xml/stats_summary.php", "bob", '<summary group_by="status,campaign,area"/>'
    )
    rows = {(r.get("status"), r.get("campaign"), r.get("area")): r.attrib for r in root.iter("row")}
    assert {("delivered", "A", "Russia"), ("delivered", "B", "Russia")} == set(rows)
    assert ("3", "3", "3") == tuple(
        rows["delivered", "A", "Russia"][k] for k in ("messages", "parts", "cost")
    )
    bad = await call(platform, "/xml/stats_summary.php", "bob", '<summary group_by="planet"/>')
    assert bad.findtext("error")
