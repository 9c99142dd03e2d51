"""Resellers end to end: the operator's tariff, the reseller's /xml/tariffs.php, a sub-account
sending over JSON, J4 balances in each account's own tariff, delivery and money at each level."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
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


async def test_a_reseller_prices_its_sub_account_and_earns_the_margin(platform: Platform) -> None:
    """Operator tariff 0.60 for the reseller; the reseller's tariff 1.50 for its client; the
    client sends 2 SMS: client -3.00, reseller +3.00 -1.20; J4 counts at each one's price."""
    tariffs = platform.runtime.extras["tariffs"]
    await platform.account("dealer", balance="10", any_sender=True)
    await platform.account("client", balance="30", any_sender=True, parent="dealer")
    await platform.account("stranger", balance="1", any_sender=True)
    await tariffs.create("wholesale")
    await tariffs.set_price("wholesale", PriceEntry("7", Money.parse("0.6"), "Russia"))
    await tariffs.assign("dealer", "wholesale")

    answer = await platform.post_raw(
        "/xml/tariffs.php",
        xml(
            "dealer",
            '<tariff name="retail"><price prefix="7" price="1.50" area="Russia"/></tariff>'
            '<assign login_client="client" tariff="retail"/>'
            '<assign login_client="stranger" tariff="retail"/>'
            '<assign login_client="client" tariff="nope"/>',
        ),
    )
    root = ElementTree.fromstring(answer.content)
    assert [("client", "OK"), ("stranger", "NO_USER"), ("client", "NO_TARIFF")] == [
        (a.get("login_client"), a.get("result")) for a in root.iter("assign")
    ]
    [tariff] = root.iter("tariff")
    assert ("retail", "client") == (tariff.get("name"), tariff.get("accounts"))

    ids = [(await platform.send("client", f"7900123450{n}"))["id_sms"] for n in range(2)]
    assert {i: MessageStatus.DELIVERED for i in ids} == await platform.waiter.final(ids)
    client, dealer = await platform.balance("client"), await platform.balance("dealer")
    assert "27" == client["money"]
    assert {"type_sms": "sms", "area": "Russia", "num_sms": "18"} in client["information"]
    assert "11.8" == dealer["money"]  # 10 + 2 x (1.50 - 0.60)
    assert {"type_sms": "sms", "area": "Russia", "num_sms": "19"} in dealer["information"]

    answer = await platform.post_raw("/xml/tariffs.php", xml("dealer", "<statement/>"))
    [line] = ElementTree.fromstring(answer.content).iter("client")
    assert {"login": "client", "parts": "2", "income": "3", "cost": "1.2", "margin": "1.8"} == (
        line.attrib
    )
