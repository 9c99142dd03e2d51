"""Compliance is checked again when a message leaves (issue 9): a scheduled message whose
number was stop-listed, whose account was locked or whose sender was rejected after it was
accepted never reaches the carrier; it ends ``not_deliver`` with a stored reason, is refunded
exactly, and its status webhook is pushed. On SQLite and PostgreSQL, with the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from smsrelay.domain.accounts import Account
from smsrelay.domain.money import Money
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.domain.status import MessageStatus, wire_word
from smsrelay.services.stoplist import StopAction
from smsrelay.store.schema import ledger
from smsrelay.store.schema_compliance import delivery_refusals
from webhooks.conftest import MANUAL, Receiver
from webhooks.test_push import hooked, run_once

from .conftest import Platform, start_platform

PHONE = "79001230001"  # the simulator delivers it


@pytest.fixture
async def manual(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    """The platform on each database; its webhook pusher pushes when the test says so."""
    async for p in start_platform(database_url, tmp_path, **MANUAL):
        yield p


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


async def _stop(p: Platform, account: Account) -> None:
    await p.runtime.extras["xml_data"].stop_list.change(account, [(StopAction.ADD, PHONE)])


async def _lock(p: Platform, account: Account) -> None:
    await p.runtime.admin.set_locked(account.login, True)


async def _reject(p: Platform, account: Account) -> None:
    await p.runtime.stores.accounts.set_sender(account.id, Sender("Shop", SenderState.REJECTED))


CASES: dict[str, tuple[Callable[[Platform, Account], Awaitable[None]], str]] = {
    "stop_list": (_stop, "stop_list"),
    "account_locked": (_lock, "account_locked"),
    "sender_rejected": (_reject, "sender_rejected"),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_scheduled_message_failing_compliance_is_not_sent(
    manual: Platform, receiver: Receiver, case: str
) -> None:
    """Scheduled, then made non-compliant: at release nothing is submitted; the message ends
    ``not_deliver`` (stored as ``cancelled`` with the reason), the charge is refunded by one
    ledger row of exactly the price, and the webhook carries ``not_deliver``."""
    p = manual
    change, reason = CASES[case]
    account = await hooked(p, "alice", receiver.url())
    await p.runtime.stores.accounts.set_any_sender(account.id, False)
    await p.runtime.admin.add_sender("alice", "Shop", approve=True)
    when = (p.clock.now() + timedelta(hours=3, minutes=5)).strftime("%Y-%m-%d %H:%M")
    info = await p.send("alice", PHONE, time_send=when)
    id_sms = int(info["id_sms"])
    assert "99" == (await p.balance("alice"))["money"]
    await change(p, account)
    assert p.runtime.simulator is not None
    submits = p.runtime.simulator.counters.submits
    p.clock.advance(600)
    assert p.runtime.engine is not None
    await p.runtime.engine.tick()
    assert {id_sms: MessageStatus.CANCELLED} == await p.waiter.final([id_sms])
    assert submits == p.runtime.simulator.counters.submits
    # read from the store: a locked account may not ask the API
    [view] = (await p.runtime.stores.messages.views(account.id, [id_sms])).values()
    assert "not_deliver" == wire_word(view.status)
    again = await p.runtime.stores.accounts.get(account.id)
    assert again is not None
    assert Money.parse("100") == again.balance
    async with p.runtime.stores.db.read() as conn:
        refunds = (
            await conn.execute(
                select(ledger.c.amount_micros).where(
                    ledger.c.message_id == id_sms, ledger.c.kind == "refund"
                )
            )
        ).all()
        stored = (
            await conn.execute(
                select(delivery_refusals.c.reason).where(delivery_refusals.c.message_id == id_sms)
            )
        ).scalar_one()
    assert [1_000_000] == [r.amount_micros for r in refunds]
    assert reason == stored
    assert 1 == await run_once(p)
    [push] = receiver.pushes
    assert [(id_sms, "not_deliver")] == [(r["id_sms"], r["state"]) for r in push.json()]


async def test_compliant_scheduled_message_is_still_delivered(manual: Platform) -> None:
    """The check refuses only what fails it: an unchanged scheduled message is delivered."""
    p = manual
    await p.account("bob", any_sender=True)
    when = (p.clock.now() + timedelta(hours=3, minutes=5)).strftime("%Y-%m-%d %H:%M")
    id_sms = int((await p.send("bob", PHONE, time_send=when))["id_sms"])
    p.clock.advance(600)
    assert p.runtime.engine is not None
    await p.runtime.engine.tick()
    assert {id_sms: MessageStatus.DELIVERED} == await p.waiter.final([id_sms])
