"""``translite=1`` and ``name_delivery`` end to end: what is stored, counted, charged, listed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import text as sql

from e2e.conftest import Platform, start_platform
from smsrelay.domain.status import MessageStatus


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p


async def stored(platform: Platform, id_sms: int) -> Any:
    async with platform.runtime.stores.db.read() as conn:
        return (
            await conn.execute(
                sql("SELECT text, parts, price_micros, extra FROM messages WHERE id = :i"),
                {"i": id_sms},
            )
        ).one()


def xml(login: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><request><security>'
        f'<login value="{login}"/><password value="pw-{login}"/></security>{body}</request>'
    ).encode()


RUSSIAN = "Уважаемый клиент, ваш заказ номер 12345 готов к выдаче в пункте самовывоза!!"  # 78


async def test_translite_sends_latin_in_fewer_parts(platform: Platform) -> None:
    """78 Cyrillic characters are 2 UCS-2 parts; with translite=1 the Latin text is one GSM
    7-bit part: stored, charged and delivered as such."""
    await platform.account("alice", balance="10", any_sender=True)
    body = {
        **platform.creds["alice"],
        "message": [
            {
                "type_send_1": "sms",
                "sender": "Shop",
                "text": RUSSIAN,
                "translite": "1",
                "phones": [{"phone": "79001234567"}],
            },
            {
                "type_send_1": "sms",
                "sender": "Shop",
                "text": RUSSIAN,
                "phones": [{"phone": "79001234568"}],
            },
        ],
    }
    answer = await platform.post("/json", body)
    latin_id, cyrillic_id = (i["id_sms"] for i in answer["information"])
    latin, cyrillic = await stored(platform, latin_id), await stored(platform, cyrillic_id)
    assert latin.text.startswith("Uvazhaemyy klient, vash zakaz nomer 12345")
    assert (1, 2) == (latin.parts, cyrillic.parts)
    final = await platform.waiter.final([latin_id, cyrillic_id])
    assert {MessageStatus.DELIVERED} == set(final.values())
    assert "7" == (await platform.balance("alice"))["money"]  # 1 + 2 parts at 1.00


async def test_name_delivery_is_kept_from_json_and_get_and_listed(platform: Platform) -> None:
    """The campaign name travels from J1 and G1 into the message and X15 shows it; without
    one X15 shows the default ``Шлюз``."""
    await platform.account("bob", balance="10", any_sender=True)
    later = "2030-01-01 10:00"
    await platform.post(
        "/json",
        {
            **platform.creds["bob"],
            "message": [
                {
                    "type_send_1": "sms",
                    "sender": "Shop",
                    "text": "a",
                    "name_delivery": "Sale",
                    "phones": [{"phone": "79001234567", "time_send": later}],
                },
                {
                    "type_send_1": "sms",
                    "sender": "Shop",
                    "text": "b",
                    "phones": [{"phone": "79001234568", "time_send": later}],
                },
            ],
        },
    )
    r = await platform.http.get(
        "/sendsms.php",
        params={
            "user": "bob",
            "pwd": "pw-bob",
            "sadr": "Shop",
            "dadr": "79001234569",
            "text": "c",
            "name_delivery": "Осень",
        },
    )
    assert 200 == r.status_code
    [got_id] = [int(x) for x in r.text.split() if x.isdigit()][:1] or [0]
    assert got_id > 0
    assert "Осень" in (await stored(platform, got_id)).extra
    listed = await platform.post_raw("/xml/list_scheduled.php", xml("bob", '<scheduled page="1"/>'))
    names = {
        el.get("text_sms"): el.get("name_delivery")
        for el in ElementTree.fromstring(listed.content).iter("scheduled")
    }
    assert {"a": "Sale", "b": "Шлюз"} == names
