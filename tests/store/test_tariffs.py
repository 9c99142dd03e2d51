"""Tariffs per account and reseller charging, to the last micro-unit, on both databases.

The worked example of docs/billing.md: a top reseller ``top`` pays 0.50 per part to Russia,
its reseller ``mid`` 0.70 (sold by ``top``), and ``mid``'s client ``shop`` 1.00 (sold by
``mid``). Every message moves money at every level in the accepting transaction; every refund
moves it back exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.errors import RecipientError
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.services.ports import Accepted, AcceptRequest, PartAccepted, Refused, SubmitRecord
from smsrelay.services.routing import Reprice
from smsrelay.store import Database, SqlMessageStore
from smsrelay.store.routing import SqlRoutingStore
from smsrelay.store.scheduled import SqlScheduledStore
from smsrelay.store.tariffs import SqlTariffStore

from .conftest import NOW, Kit, message


def m(text: str) -> int:
    return Money.parse(text).micros


async def balances(kit: Kit, *accounts: Account) -> list[int]:
    return [
        int(await kit.scalar("SELECT balance_micros FROM accounts WHERE id = :i", i=a.id))
        for a in accounts
    ]


async def ledger_sum(kit: Kit, account: Account) -> int:
    return int(
        await kit.scalar(
            "SELECT coalesce(sum(amount_micros), 0) FROM ledger WHERE account_id = :i", i=account.id
        )
    )


async def sub(kit: Kit, login: str, parent: Account, balance: str) -> Account:
    return await kit.accounts.create(
        login=login,
        password_hash="h",
        token=None,
        balance=Money.parse(balance),
        lang=Lang.RU,
        any_sender=True,
        parent_id=parent.id,
        now=NOW,
    )


async def tariff(store: SqlTariffStore, name: str, owner: Account | None, *prices: str) -> int:
    """A tariff with ``prefix=price`` entries."""
    tid = await store.create(name, None if owner is None else owner.id, NOW)
    for spec in prices:
        prefix, price = spec.split("=")
        await store.set_price(tid, PriceEntry(prefix, Money.parse(price), f"area {prefix}"))
    return tid


@pytest.fixture
def tariffs(kit: Kit) -> SqlTariffStore:
    return SqlTariffStore(kit.db)


async def three_levels(kit: Kit, tariffs: SqlTariffStore) -> tuple[Account, Account, Account]:
    """top (10.00, pays 0.50) > mid (5.00, pays 0.70) > shop (30.00, pays 1.00)."""
    top = await kit.account("top", "10")
    mid = await sub(kit, "mid", top, "5")
    shop = await sub(kit, "shop", mid, "30")
    await tariffs.assign(top.id, await tariff(tariffs, "wholesale", None, "7=0.5"))
    await tariffs.assign(mid.id, await tariff(tariffs, "mid-price", top, "7=0.7"))
    await tariffs.assign(shop.id, await tariff(tariffs, "retail", mid, "7=1.0"))
    return top, mid, shop


async def test_an_assigned_tariff_and_an_override_price_the_account(
    kit: Kit, tariffs: SqlTariffStore
) -> None:
    """Default list for an account without tariff; its tariff once assigned; an override of
    one prefix over the tariff; back to the default when unassigned."""
    alice = await kit.account("alice", "100")
    [a] = await kit.accept(alice.id, message(alice.id))
    assert isinstance(a, Accepted) and Money.parse("1") == a.price
    tid = await tariff(tariffs, "cheap", None, "7=0.25", "380=1.5")
    await tariffs.assign(alice.id, tid)
    [b] = await kit.accept(alice.id, message(alice.id))
    assert isinstance(b, Accepted) and Money.parse("0.25") == b.price
    await tariffs.set_override(alice.id, PriceEntry("7900", Money.parse("0.125"), "promo"))
    [c, d] = await kit.accept(
        alice.id, message(alice.id, "79001112233"), message(alice.id, "79011112233")
    )
    assert [Money.parse("0.125"), Money.parse("0.25")] == [c.price, d.price]  # type: ignore[union-attr]
    await tariffs.assign(alice.id, None)
    [e] = await kit.accept(alice.id, message(alice.id, "79011112233"))
    assert isinstance(e, Accepted) and Money.parse("1") == e.price
    assert [m("100") - m("1") - m("0.25") - m("0.125") - m("0.25") - m("1")] == await balances(
        kit, alice
    )
    entry = (await tariffs.price_list(alice.id)).lookup("79001112233")
    assert entry is not None and Money.parse("0.125") == entry.price  # the override stays


async def test_three_levels_each_pay_their_own_tariff(kit: Kit, tariffs: SqlTariffStore) -> None:
    """shop sends 3 messages of 2 parts: shop -6.00; mid +6.00 -4.20; top +4.20 -3.00; each
    with its ledger rows, and the statements show the margins."""
    top, mid, shop = await three_levels(kit, tariffs)
    results = await kit.accept(shop.id, *(message(shop.id, parts=2) for _ in range(3)))
    assert all(isinstance(r, Accepted) for r in results)
    assert [m("10") + m("4.2") - m("3"), m("5") + m("6") - m("4.2"), m("30") - m("6")] == (
        await balances(kit, top, mid, shop)
    )
    for account in (top, mid, shop):
        assert await ledger_sum(kit, account) == (await balances(kit, account))[0]
    kinds = await kit.rows(
        "SELECT account_id, kind, amount_micros FROM ledger WHERE kind <> 'topup' ORDER BY id"
    )
    assert sorted((int(a), k, int(x)) for a, k, x in kinds) == sorted(
        [
            (shop.id, "charge", -m("6")),
            (mid.id, "resale_income", m("6")),
            (mid.id, "resale_cost", -m("4.2")),
            (top.id, "resale_income", m("4.2")),
            (top.id, "resale_cost", -m("3")),
        ]
    )
    [line] = await tariffs.statement(mid.id, NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert ("shop", 6, Money.parse("6"), Money.parse("4.2"), Money.parse("1.8")) == (
        line.login,
        line.parts,
        line.income,
        line.cost,
        line.margin,
    )
    [line] = await tariffs.statement(top.id, NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert ("mid", Money.parse("1.2")) == (line.login, line.margin)


async def test_no_level_goes_below_zero(kit: Kit, tariffs: SqlTariffStore) -> None:
    """A reseller selling below its own cost pays the difference; when it cannot, the
    sub-account's message is refused and nothing moves."""
    top = await kit.account("top", "0.3")
    shop = await sub(kit, "shop", top, "10")
    await tariffs.assign(top.id, await tariff(tariffs, "dear", None, "7=1.5"))
    await tariffs.assign(shop.id, await tariff(tariffs, "loss", top, "7=1.2"))
    results = await kit.accept(shop.id, message(shop.id), message(shop.id), message(shop.id))
    assert [Accepted, Refused, Refused] == [type(r) for r in results]
    assert Refused(RecipientError.OUT_OF_MONEY) == results[1]
    assert [0, m("10") - m("1.2")] == await balances(kit, top, shop)


async def test_a_destination_missing_from_a_resellers_tariff_is_closed(
    kit: Kit, tariffs: SqlTariffStore
) -> None:
    top = await kit.account("top", "10")
    shop = await sub(kit, "shop", top, "10")
    await tariffs.assign(top.id, await tariff(tariffs, "ru-only", None, "7=0.5"))
    await tariffs.assign(shop.id, await tariff(tariffs, "retail", top, "7=1", "380=3"))
    [r] = await kit.accept(shop.id, message(shop.id, "380501234567"))
    assert Refused(RecipientError.DESTINATION_CLOSED) == r


async def test_a_locked_reseller_stops_its_sub_accounts(kit: Kit, tariffs: SqlTariffStore) -> None:
    top = await kit.account("top", "10")
    shop = await sub(kit, "shop", top, "10")
    await kit.accounts.set_locked(top.id, True)
    [r] = await kit.accept(shop.id, message(shop.id))
    assert Refused(RecipientError.ACCOUNT_LOCKED) == r


async def test_refunds_reverse_every_level_exactly(kit: Kit, tariffs: SqlTariffStore) -> None:
    """Rejected parts, expiry, a cancelled scheduled message and a route repricing: each
    level ends where its remaining messages put it, and every ledger adds up."""
    top, mid, shop = await three_levels(kit, tariffs)
    start = await balances(kit, top, mid, shop)
    later = NOW + timedelta(hours=1)
    await kit.accepted_id(shop.id, message(shop.id, parts=2))  # one part will be rejected
    [claimed] = await kit.claim()
    # one part of two taken, the other rejected
    await kit.queue.record_submits(
        [SubmitRecord(claimed.id, "smsc", (PartAccepted(1, "c1"),), rejected_parts=1)], NOW
    )
    expiring = await kit.accepted_id(shop.id, message(shop.id, parts=2))
    repriced = await kit.accepted_id(shop.id, message(shop.id, parts=2))
    scheduled = await kit.accepted_id(shop.id, message(shop.id, parts=2, time_send=later))
    # the scheduled one cancelled
    cancelled = await SqlScheduledStore(kit.db).cancel_scheduled(shop.id, [scheduled], NOW)
    assert {scheduled} == cancelled
    # sent through a route at 1.10 in 3 parts
    await SqlRoutingStore(kit.db).reprice([Reprice(repriced, Money.parse("1.1"), 3)], NOW)
    # never taken by the carrier: expired and refunded
    async with kit.db.write() as conn:
        await conn.execute(
            text("UPDATE messages SET valid_until = :t WHERE id = :i"),
            {"t": NOW - timedelta(seconds=1), "i": expiring},
        )
    await kit.queue.expire(NOW, 100)
    # left charged: 1 part of `rejected`, 3 parts of `repriced` (shop at 1.10, mid's income)
    shop_paid = m("1") + 3 * m("1.1")
    mid_net = (m("1") - m("0.7")) + 3 * (m("1.1") - m("0.7"))
    top_net = 4 * (m("0.7") - m("0.5"))
    assert [start[0] + top_net, start[1] + mid_net, start[2] - shop_paid] == await balances(
        kit, top, mid, shop
    )
    for account in (top, mid, shop):
        assert await ledger_sum(kit, account) == (await balances(kit, account))[0]


async def test_repeated_refund_paths_do_not_refund_twice(kit: Kit, tariffs: SqlTariffStore) -> None:
    """A cancelled message cannot be cancelled (or its levels reversed) again."""
    top, mid, shop = await three_levels(kit, tariffs)
    start = await balances(kit, top, mid, shop)
    mid_id = await kit.accepted_id(shop.id, message(shop.id, time_send=NOW + timedelta(hours=1)))
    store = SqlScheduledStore(kit.db)
    assert {mid_id} == await store.cancel_scheduled(shop.id, [mid_id], NOW)
    assert set() == await store.cancel_scheduled(shop.id, [mid_id], NOW)
    assert start == await balances(kit, top, mid, shop)


# --- concurrency: two processes, two levels -------------------------------------------------


@pytest.fixture
async def second_db(database_url: str, database: Database) -> AsyncIterator[Database]:
    other = await Database.open(database_url)
    try:
        yield other
    finally:
        await other.close()


async def test_two_level_charging_never_overdraws_the_reseller(
    kit: Kit, tariffs: SqlTariffStore, second_db: Database
) -> None:
    """Two sub-accounts, each with money for 100 messages, race through two processes; their
    reseller (selling at a loss) can pay for exactly 40: 40 are accepted, it ends at 0."""
    top = await kit.account("top", "20")  # 40 x (1.00 - 0.50) = 20
    await tariffs.assign(top.id, await tariff(tariffs, "dear", None, "7=1.5"))
    retail = await tariff(tariffs, "loss", top, "7=1")
    subs = [await sub(kit, f"s{n}", top, "100") for n in range(2)]
    for s in subs:
        await tariffs.assign(s.id, retail)
    stores = [kit.messages, SqlMessageStore(second_db)]

    async def send(n: int) -> list[Any]:
        account = subs[n % 2]
        batch = [message(account.id, f"7900000{n:04d}") for _ in range(5)]
        [results] = await stores[(n // 2) % 2].accept_batch([AcceptRequest(account.id, batch)], NOW)
        return results

    results = [r for rs in await asyncio.gather(*(send(n) for n in range(24))) for r in rs]
    accepted = [r for r in results if isinstance(r, Accepted)]
    assert 40 == len(accepted)
    assert 0 == (await balances(kit, top))[0]
    assert m("200") - 40 * m("1") == sum(await balances(kit, *subs))
    for account in (top, *subs):
        assert await ledger_sum(kit, account) == (await balances(kit, account))[0]
    assert 40 == await kit.scalar("SELECT count(*) FROM message_charges")


async def test_two_level_idempotency_charges_every_level_once(
    kit: Kit, tariffs: SqlTariffStore, second_db: Database
) -> None:
    """One client_id_sms sent ten times at once through two processes: one message, one
    charge at each level."""
    top, mid, shop = await three_levels(kit, tariffs)
    start = await balances(kit, top, mid, shop)
    stores = [kit.messages, SqlMessageStore(second_db)]

    async def send(n: int) -> Any:
        request = AcceptRequest(shop.id, [message(shop.id, client_id_sms="once")])
        [[result]] = await stores[n % 2].accept_batch([request], NOW)
        return result

    results = await asyncio.gather(*(send(n) for n in range(10)))
    assert 1 == len({r.id_sms for r in results})
    assert [start[0] + m("0.2"), start[1] + m("0.3"), start[2] - m("1")] == await balances(
        kit, top, mid, shop
    )
    assert 2 == await kit.scalar("SELECT count(*) FROM message_charges")
