"""AccountStore contract: accounts, money with its ledger, prices, senders, stop lists."""

from __future__ import annotations

import pytest

from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry, PriceList
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.services.ports import AccountRecord
from smsrelay.store import SqlAccountStore

from .conftest import NOW, Kit


async def test_created_account_is_found_by_login_token_and_id(kit: Kit) -> None:
    """What ``create`` stores comes back from every lookup; unknown keys give None."""
    created = await kit.account("alice", "10.5", any_sender=False, token="tok-1")
    expected = Account(
        id=created.id,
        login="alice",
        lang=Lang.RU,
        locked=False,
        any_sender=False,
        balance=Money.parse("10.5"),
    )
    assert expected == created
    assert AccountRecord(expected, "argon2-hash", "tok-1") == await kit.accounts.find_by_login(
        "alice"
    )
    assert AccountRecord(expected, "argon2-hash", "tok-1") == await kit.accounts.find_by_token(
        "tok-1"
    )
    assert expected == await kit.accounts.get(created.id)
    assert await kit.accounts.find_by_login("bob") is None
    assert await kit.accounts.find_by_token("tok-2") is None
    assert await kit.accounts.get(created.id + 1000) is None


async def test_taken_login_or_token_raises_lookup_error(kit: Kit) -> None:
    """A second account may not reuse a login or a token; accounts without token coexist."""
    await kit.account("alice", token="tok-1")
    await kit.account("carol", token=None, prices=False)
    await kit.account("dave", token=None, prices=False)
    with pytest.raises(LookupError):
        await kit.account("alice", token="tok-2", prices=False)
    with pytest.raises(LookupError):
        await kit.account("bob", token="tok-1", prices=False)


async def test_sub_account_names_an_existing_parent(kit: Kit) -> None:
    """``parent_id`` links a sub-account; an unknown parent raises LookupError."""
    parent = await kit.account("parent")
    child = await kit.accounts.create(
        login="child",
        password_hash="h",
        token=None,
        balance=Money(0),
        lang=Lang.EN,
        any_sender=True,
        parent_id=parent.id,
        now=NOW,
    )
    assert parent.id == child.parent_id
    assert child == await kit.accounts.get(child.id)
    with pytest.raises(LookupError):
        await kit.accounts.create(
            login="orphan",
            password_hash="h",
            token=None,
            balance=Money(0),
            lang=Lang.EN,
            any_sender=True,
            parent_id=child.id + 1000,
            now=NOW,
        )


async def test_credit_moves_money_with_a_ledger_row(kit: Kit) -> None:
    """Credits and debits change the balance and each writes one ledger row (returned id)."""
    account = await kit.account("alice", "10")
    first = await kit.accounts.credit(account.id, Money.parse("5.25"), "topup", NOW)
    second = await kit.accounts.credit(account.id, Money.parse("-3"), "manager", NOW)
    assert second > first
    assert Money.parse("12.25") == await kit.messages.balance(account.id)
    ledger = await kit.rows(
        "SELECT id, amount_micros, kind FROM ledger WHERE account_id = :a ORDER BY id",
        a=account.id,
    )
    assert [(10_000_000, "topup"), (5_250_000, "topup"), (-3_000_000, "manager")] == [
        (r.amount_micros, r.kind) for r in ledger
    ]
    assert [first, second] == [r.id for r in ledger[1:]]


async def test_money_on_unknown_accounts_raises_lookup_error(kit: Kit) -> None:
    """Crediting, changing or asking the balance of a missing account raises LookupError."""
    with pytest.raises(LookupError):
        await kit.accounts.credit(424242, Money(1), "topup", NOW)
    with pytest.raises(LookupError):
        await kit.accounts.set_locked(424242, True)
    with pytest.raises(LookupError):
        await kit.messages.balance(424242)


async def test_flags_and_language_are_updated(kit: Kit) -> None:
    """set_locked, set_any_sender and set_lang change what lookups return."""
    account = await kit.account("alice", any_sender=False)
    await kit.accounts.set_locked(account.id, True)
    await kit.accounts.set_any_sender(account.id, True)
    await kit.accounts.set_lang(account.id, Lang.EN)
    again = await kit.accounts.get(account.id)
    assert again is not None
    assert (True, True, Lang.EN) == (again.locked, again.any_sender, again.lang)


async def test_price_list_longest_prefix_wins(kit: Kit) -> None:
    """Through the port: the most specific prefix of each channel prices a phone."""
    for prefix, price, name in (
        ("", "9", "World"),
        ("7", "1", "Russia"),
        ("7900", "1.5", "Moscow"),
        ("77", "3", "Kazakhstan"),
    ):
        await kit.accounts.set_price(PriceEntry(prefix, Money.parse(price), name))
    await kit.accounts.set_price(PriceEntry("7", Money.parse("0.5"), "Russia", Channel.VIBER))
    prices = await kit.accounts.price_list()

    def area(phone: str, channel: Channel = Channel.SMS) -> str | None:
        entry = prices.lookup(phone, channel)
        return None if entry is None else entry.area

    assert "Moscow" == area("79001234567")
    assert "Russia" == area("79111234567")
    assert "Kazakhstan" == area("77011234567")
    assert "World" == area("4915112345678")
    assert "Russia" == area("79001234567", Channel.VIBER)
    assert area("4915112345678", Channel.VIBER) is None


async def test_set_price_replaces_and_other_processes_see_it(kit: Kit) -> None:
    """A changed price replaces the old one; another store's cached list reloads it."""
    other = SqlAccountStore(kit.db)
    await kit.accounts.set_price(PriceEntry("7", Money.parse("1"), "Russia"))
    assert Money.parse("1") == _price(await other.price_list(), "79001234567")
    await kit.accounts.set_price(PriceEntry("7", Money.parse("1.2"), "Россия"))
    fresh = await other.price_list()
    assert Money.parse("1.2") == _price(fresh, "79001234567")
    assert 1 == len(fresh.entries)
    assert fresh is await other.price_list()  # unchanged version: the cached list itself


def _price(prices: PriceList, phone: str) -> Money | None:
    entry = prices.lookup(phone)
    return None if entry is None else entry.price


async def test_senders_are_inserted_and_replaced(kit: Kit) -> None:
    """set_sender inserts or replaces the name's state; senders() lists them by name."""
    account = await kit.account()
    await kit.accounts.set_sender(account.id, Sender("Shop", SenderState.ORDER, "please"))
    await kit.accounts.set_sender(account.id, Sender("Bank", SenderState.REJECTED, "", "no"))
    await kit.accounts.set_sender(account.id, Sender("Shop", SenderState.COMPLETED, "please", "ok"))
    assert [
        Sender("Bank", SenderState.REJECTED, "", "no"),
        Sender("Shop", SenderState.COMPLETED, "please", "ok"),
    ] == await kit.accounts.senders(account.id)
    assert [] == await kit.accounts.senders(account.id + 1000)


async def test_stop_list_add_is_idempotent(kit: Kit) -> None:
    """add_stop says whether the phone was new; the stop list is per account."""
    alice = await kit.account("alice")
    bob = await kit.account("bob", prices=False)
    assert await kit.accounts.add_stop(alice.id, "79001234567", NOW)
    assert not await kit.accounts.add_stop(alice.id, "79001234567", NOW)
    assert await kit.accounts.add_stop(alice.id, "79007654321", NOW)
    assert {"79001234567", "79007654321"} == await kit.accounts.stop_list(alice.id)
    assert set() == await kit.accounts.stop_list(bob.id)
