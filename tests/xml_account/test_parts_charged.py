"""The parts charged are the parts sent (issue 9): for every message kind the part count
stored and charged at acceptance equals the submit_sm the carrier (the simulator) receives,
also when the encoded payload (a vCard, a WAP-Push) needs more than one part."""

from __future__ import annotations

import re

import pytest

from smsrelay.domain.money import Money

from .conftest import XmlPlatform

PHONE = "79033256699"
LONG = "x" * 200  # 2 parts of GSM7
LONG_RU = "я" * 100  # 2 parts of UCS2

KINDS = {
    "sms": f'<message type="sms"><sender>Shop</sender><text>{LONG}</text>',
    "sms_ucs2": f'<message type="sms"><sender>Shop</sender><text>{LONG_RU}</text>',
    "flashsms": f'<message type="flashsms"><sender>Shop</sender><text>{LONG}</text>',
    "silence": '<message type="silence"><sender>Shop</sender><text></text>',
    "wappush_short": '<message type="wappush"><sender>Shop</sender><text>See</text>'
    "<url>http://example.com/a</url>",
    "wappush_long": f'<message type="wappush"><sender>Shop</sender><text>{"x" * 300}</text>'
    "<url>http://example.com/a</url>",
    "vcard_short": '<message type="vcard"><sender>Shop</sender><name>Ivan</name>'
    '<phone cell="79033256699" />',
    "vcard_long": '<message type="vcard"><sender>Shop</sender><name>Иван Петров</name>'
    '<phone cell="79033256699" work="74951234567" fax="74951234568" />'
    "<email>ivan.petrov@example.com</email><position>Главный инженер</position>"
    '<address city="Москва" street="Тверская улица, дом 1" region="Московская" '
    'postal_code="125009" country="Россия" />'
    "<organization>ООО Ромашка и партнёры</organization>"
    "<additional>Звонить после обеда, спросить отдел снабжения</additional>",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_parts_charged_equal_submit_sm_sent(xmlp: XmlPlatform, kind: str) -> None:
    """One message of ``kind``: stored parts == charged parts == submit_sm received."""
    await xmlp.account("shop", any_sender=True)
    simulator = xmlp.runtime.simulator
    before = simulator.counters.submits
    body = await xmlp.call("/xml", "shop", f'{KINDS[kind]}<abonent phone="{PHONE}" /></message>')
    [id_sms] = [int(x) for x in re.findall(r'id_sms="(\d+)"', body)]
    await xmlp.p.waiter.final([id_sms])
    sent = simulator.counters.submits - before
    stored = (await xmlp.stored(id_sms)).parts
    account = await xmlp.runtime.stores.accounts.find_by_login("shop")
    charged = Money.parse("100").micros - account.account.balance.micros
    assert (sent, sent * 1_000_000) == (stored, charged)
    if kind.endswith("_long") or kind in ("sms", "sms_ucs2", "flashsms"):
        assert sent > 1  # the case the issue measured: more than one part
