"""The SMS leg of a Viber->SMS cascade is charged at every reseller level exactly like a direct
SMS, and its refunds reverse every level (issue 13), to the last micro-unit, on both databases.

``top`` > ``mid`` > ``shop`` as in docs/billing.md, each tariff pricing Russia per channel:

======  =====  =====  =======
level   SMS    Viber  balance
======  =====  =====  =======
top     0.50   0.20   10.00
mid     0.70   0.30    5.00
shop    1.00   0.40   30.00
======  =====  =====  =======

``shop`` sends one cascade whose SMS leg has 2 parts.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from smsrelay.domain.accounts import Account
from smsrelay.domain.messages import Channel, NewMessage
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.domain.status import MessageStatus as S
from smsrelay.services.cascade import (
    SendVerdict,
    ViberSendRecord,
    ViberState,
    ViberStatusRecord,
    viber_leg_fields,
)
from smsrelay.services.commands import SendItem
from smsrelay.services.ports import SubmitRecord
from smsrelay.services.routing import Reprice
from smsrelay.store.routing import SqlRoutingStore
from smsrelay.store.tariffs import SqlTariffStore
from smsrelay.store.viber import SqlViberStore

from .conftest import LEASE, NOW, Kit
from .test_tariffs import balances, ledger_sum, m, sub

SMS_TEXT = "x" * 200  # two GSM 7-bit parts


async def _tariff(
    store: SqlTariffStore, name: str, owner: Account | None, sms: str, viber: str
) -> int:
    tid = await store.create(name, None if owner is None else owner.id, NOW)
    await store.set_price(tid, PriceEntry("7", Money.parse(sms), "Russia"))
    await store.set_price(tid, PriceEntry("7", Money.parse(viber), "Russia", Channel.VIBER))
    return tid


async def _levels(
    kit: Kit, top_balance: str = "10", top_sms: str = "0.5", shop_sms: str = "1.0"
) -> tuple[Account, Account, Account]:
    tariffs = SqlTariffStore(kit.db)
    top = await kit.account("top", top_balance)
    mid = await sub(kit, "mid", top, "5")
    shop = await sub(kit, "shop", mid, "30")
    await tariffs.assign(top.id, await _tariff(tariffs, "wholesale", None, top_sms, "0.2"))
    await tariffs.assign(mid.id, await _tariff(tariffs, "mid-price", top, "0.7", "0.3"))
    await tariffs.assign(shop.id, await _tariff(tariffs, "retail", mid, shop_sms, "0.4"))
    return top, mid, shop


async def _cascade(kit: Kit, shop: Account) -> int:
    """Accept one Viber->SMS cascade from ``shop`` and claim its Viber leg."""
    item = SendItem(
        recipients=[], sender="Shop", text=SMS_TEXT, channel=Channel.VIBER, fallback=Channel.SMS
    )
    valid_until, extra = viber_leg_fields(item, NOW, NOW + timedelta(days=3), None)
    new = NewMessage(
        account_id=shop.id,
        phone="79001234567",
        sender="ShopViber",
        text="hi",
        parts=1,
        channel=Channel.VIBER,
        valid_until=valid_until,
        extra=extra,
    )
    mid = await kit.accepted_id(shop.id, new)
    [claimed] = await kit.queue.claim(NOW, 10, LEASE, Channel.VIBER)
    assert mid == claimed.id
    return mid


async def _charges(kit: Kit, mid: int) -> list[tuple[str, int, int, int, int, int]]:
    rows = await kit.rows(
        "SELECT channel, level, account_id, parts, price_micros, income_micros"
        " FROM message_charges WHERE message_id = :i ORDER BY channel, level",
        i=mid,
    )
    return [(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


async def _ledgers_add_up(kit: Kit, *accounts: Account) -> None:
    for account in accounts:
        assert await ledger_sum(kit, account) == (await balances(kit, account))[0]


async def test_a_refused_viber_leg_then_the_sms_leg_charged_and_refunded_at_every_level(
    kit: Kit,
) -> None:
    """The provider refuses the Viber leg: its charge is reversed at every level, and the SMS
    leg (2 parts) is charged like a direct SMS: shop -2.00, mid +2.00 -1.40, top +1.40 -1.00,
    with ledger rows naming the message and one ``message_charges`` row per level. The carrier
    then rejects both parts: every level is back where it started."""
    top, mid, shop = await _levels(kit)
    start = await balances(kit, top, mid, shop)
    message_id = await _cascade(kit, shop)
    assert [start[0] + m("0.1"), start[1] + m("0.1"), start[2] - m("0.4")] == await balances(
        kit, top, mid, shop
    )
    viber = SqlViberStore(kit.db)
    changes = await viber.record_sends(
        [ViberSendRecord(message_id, "viber", SendVerdict.REFUSED)], NOW
    )
    assert [S.QUEUED] == [c.status for c in changes]
    assert [m("10.4"), m("5.6"), m("28")] == await balances(kit, top, mid, shop)
    await _ledgers_add_up(kit, top, mid, shop)
    assert [
        ("sms", 1, mid.id, 2, m("0.7"), m("1")),
        ("sms", 2, top.id, 2, m("0.5"), m("0.7")),
        ("viber", 1, mid.id, 0, m("0.3"), m("0.4")),
        ("viber", 2, top.id, 0, m("0.2"), m("0.3")),
    ] == await _charges(kit, message_id)
    leg_rows = await kit.rows(
        "SELECT account_id, kind, amount_micros FROM ledger WHERE message_id = :i"
        " AND kind IN ('charge', 'resale_income', 'resale_cost')",
        i=message_id,
    )
    assert sorted((int(a), k, int(x)) for a, k, x in leg_rows) == sorted(
        [
            (shop.id, "charge", -m("2")),
            (mid.id, "resale_income", m("2")),
            (mid.id, "resale_cost", -m("1.4")),
            (top.id, "resale_income", m("1.4")),
            (top.id, "resale_cost", -m("1")),
            # the Viber leg's levels reversed (its acceptance rows name no message)
            (mid.id, "resale_income", -m("0.4")),
            (mid.id, "resale_cost", m("0.3")),
            (top.id, "resale_income", -m("0.3")),
            (top.id, "resale_cost", m("0.2")),
        ]
    )

    [claimed] = await kit.claim()
    assert (message_id, 2, Money.parse("1")) == (claimed.id, claimed.parts, claimed.price)
    await kit.queue.record_submits(
        [SubmitRecord(message_id, "smsc", (), rejected_parts=2, detail="rejected")], NOW
    )
    assert start == await balances(kit, top, mid, shop)
    await _ledgers_add_up(kit, top, mid, shop)
    assert all(parts == 0 for _, _, _, parts, _, _ in await _charges(kit, message_id))


async def test_an_undelivered_viber_leg_keeps_its_charge_and_the_sms_leg_expires_refunded(
    kit: Kit,
) -> None:
    """The provider took the Viber leg, then reports it undelivered: the Viber charge stays at
    every level and the SMS leg is charged at every level beside it; the SMS leg then expires
    before the carrier took it: only the SMS leg is given back, at every level."""
    top, mid, shop = await _levels(kit)
    message_id = await _cascade(kit, shop)
    viber = SqlViberStore(kit.db)
    await viber.record_sends(
        [ViberSendRecord(message_id, "viber", SendVerdict.ACCEPTED, "p-1")], NOW
    )
    applied = await viber.apply_statuses(
        [ViberStatusRecord("viber", "p-1", ViberState.UNDELIVERED, NOW + timedelta(minutes=1))]
    )
    assert [S.QUEUED] == [c.status for c in applied.changes]
    after_viber = [m("10.1"), m("5.1"), m("29.6")]
    sms_leg = [m("0.4"), m("0.6"), -m("2")]
    assert [a + b for a, b in zip(after_viber, sms_leg, strict=True)] == await balances(
        kit, top, mid, shop
    )
    await _ledgers_add_up(kit, top, mid, shop)
    async with kit.db.write() as conn:
        await conn.execute(
            text("UPDATE messages SET valid_until = :t WHERE id = :i"),
            {"t": NOW - timedelta(seconds=1), "i": message_id},
        )
    assert [S.EXPIRED] == [c.status for c in await kit.queue.expire(NOW, 100)]
    assert after_viber == await balances(kit, top, mid, shop)
    await _ledgers_add_up(kit, top, mid, shop)
    assert [
        ("sms", 1, mid.id, 0, m("0.7"), m("1")),
        ("sms", 2, top.id, 0, m("0.5"), m("0.7")),
        ("viber", 1, mid.id, 1, m("0.3"), m("0.4")),
        ("viber", 2, top.id, 1, m("0.2"), m("0.3")),
    ] == await _charges(kit, message_id)


async def test_a_route_repricing_the_sms_leg_restates_only_its_levels(kit: Kit) -> None:
    """The Viber leg expires at its deadline (charge kept), the SMS leg goes through a route
    at 1.10 in 3 parts: the SMS levels are restated (shop pays 3.30, mid earns 3 x 0.40, top
    3 x 0.20), the Viber levels stay as they were."""
    top, mid, shop = await _levels(kit)
    message_id = await _cascade(kit, shop)
    viber = SqlViberStore(kit.db)
    await viber.record_sends(
        [ViberSendRecord(message_id, "viber", SendVerdict.ACCEPTED, "p-1")], NOW
    )
    changes = await viber.expire_legs(NOW + timedelta(days=2), 100)
    assert [S.QUEUED] == [c.status for c in changes]
    await SqlRoutingStore(kit.db).reprice([Reprice(message_id, Money.parse("1.1"), 3)], NOW)
    assert [
        m("10") + m("0.1") + 3 * m("0.2"),
        m("5") + m("0.1") + 3 * m("0.4"),
        m("30") - m("0.4") - 3 * m("1.1"),
    ] == await balances(kit, top, mid, shop)
    await _ledgers_add_up(kit, top, mid, shop)
    assert [
        ("sms", 1, mid.id, 3, m("0.7"), m("1.1")),
        ("sms", 2, top.id, 3, m("0.5"), m("0.7")),
        ("viber", 1, mid.id, 1, m("0.3"), m("0.4")),
        ("viber", 2, top.id, 1, m("0.2"), m("0.3")),
    ] == await _charges(kit, message_id)


async def test_a_reseller_that_cannot_pay_the_sms_leg_stops_it(kit: Kit) -> None:
    """``top`` sells SMS below its own cost (1.50 against mid's 0.70) and has 0.50: the SMS
    leg (top would pay 2 x 0.80 net) is refused OUT_OF_MONEY at no level's expense; the
    message ends with its Viber leg's status and every balance is where it started."""
    top, mid, shop = await _levels(kit, top_balance="0.5", top_sms="1.5")
    start = await balances(kit, top, mid, shop)
    message_id = await _cascade(kit, shop)
    viber = SqlViberStore(kit.db)
    changes = await viber.record_sends(
        [ViberSendRecord(message_id, "viber", SendVerdict.REFUSED)], NOW
    )
    assert [S.REJECTED] == [c.status for c in changes]
    assert start == await balances(kit, top, mid, shop)
    await _ledgers_add_up(kit, top, mid, shop)
    reason = await kit.scalar(
        "SELECT fallback_error FROM viber_legs WHERE message_id = :i", i=message_id
    )
    assert "OUT_OF_MONEY" == reason
    assert [] == [c for c in await _charges(kit, message_id) if c[0] == "sms"]
