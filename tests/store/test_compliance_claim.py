"""The claim checks compliance again (issue 9), on SQLite and PostgreSQL: a queued message
(a retry) whose number was stop-listed, whose account was locked or whose sender lost its
approval since acceptance is cancelled and refunded by the claim instead of being handed out;
the others in the same batch are claimed as before."""

from __future__ import annotations

from datetime import timedelta

from smsrelay.domain.messages import Channel, OutboundMessage
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.domain.status import MessageStatus
from smsrelay.services.cascade import viber_leg_fields
from smsrelay.services.commands import SendItem
from smsrelay.services.ports import StatusChange, SubmitRecord

from .conftest import LEASE, NOW, PHONE, Kit, message


async def _retry_later(kit: Kit, ids: list[int]) -> list[OutboundMessage]:
    """Claim the messages and record a RETRY for each: they are ``queued`` again."""
    claimed = await kit.claim()
    assert sorted(ids) == sorted(m.id for m in claimed)
    await kit.queue.record_submits(
        [SubmitRecord(m.id, "smsc", retry_at=NOW + timedelta(seconds=5)) for m in claimed], NOW
    )
    return claimed


async def test_claim_cancels_and_refunds_what_fails_the_check(kit: Kit) -> None:
    """Three queued retries, one stop-listed and one with a rejected sender since: the claim
    returns the third only, reports the two as cancelled, refunds each exactly once, and the
    reasons are stored."""
    account = await kit.account(balance="10", any_sender=False)
    await kit.accounts.set_sender(account.id, Sender("Shop", SenderState.COMPLETED))
    await kit.accounts.set_sender(account.id, Sender("Other", SenderState.COMPLETED))
    ok = await kit.accepted_id(account.id, message(account.id, "79001230001"))
    stop = await kit.accepted_id(account.id, message(account.id, "79001230002", parts=2))
    other = await kit.accepted_id(account.id, message(account.id, "79001230003", sender="Other"))
    retried = await _retry_later(kit, [ok, stop, other])
    assert Money.parse("6") == (await kit.accounts.get(account.id)).balance  # type: ignore[union-attr]
    await kit.accounts.add_stop(account.id, "79001230002", NOW)
    await kit.accounts.set_sender(account.id, Sender("Other", SenderState.REJECTED))
    expected = {stop: "stop_list", other: "sender_rejected"}
    assert expected == await kit.queue.refusals(retried)  # a read: changes nothing

    later = NOW + timedelta(seconds=10)
    claimed = await kit.queue.claim(later, 100, LEASE)

    assert [ok] == [m.id for m in claimed]
    assert [
        StatusChange(stop, account.id, MessageStatus.CANCELLED, later),
        StatusChange(other, account.id, MessageStatus.CANCELLED, later),
    ] == sorted(claimed.refused, key=lambda c: c.message_id)
    assert Money.parse("9") == (await kit.accounts.get(account.id)).balance  # type: ignore[union-attr]
    refunds = await kit.rows(
        "SELECT message_id, amount_micros FROM ledger WHERE kind = 'refund' ORDER BY message_id"
    )
    assert [(stop, 2_000_000), (other, 1_000_000)] == [tuple(r) for r in refunds]
    reasons = await kit.rows("SELECT message_id, reason FROM delivery_refusals ORDER BY 1")
    assert [(stop, "stop_list"), (other, "sender_rejected")] == [tuple(r) for r in reasons]
    assert [] == list((await kit.queue.claim(later, 100, LEASE)).refused)


async def test_locked_account_is_refused_at_claim_and_release(kit: Kit) -> None:
    """A locked account's retry is cancelled by the claim; its scheduled message by the
    release (never reaching the queue)."""
    account = await kit.account(balance="10")
    queued = await kit.accepted_id(account.id, message(account.id))
    await _retry_later(kit, [queued])
    later = NOW + timedelta(minutes=10)
    scheduled = await kit.accepted_id(
        account.id, message(account.id, "79001230009", time_send=later)
    )
    await kit.accounts.set_locked(account.id, True)

    released = await kit.queue.release_scheduled(later, 100)
    assert 0 == released
    assert [(scheduled, MessageStatus.CANCELLED)] == [
        (c.message_id, c.status) for c in released.refused
    ]
    claimed = await kit.queue.claim(later, 100, LEASE)
    assert [] == list(claimed)
    assert [queued] == [c.message_id for c in claimed.refused]
    assert Money.parse("10") == (await kit.accounts.get(account.id)).balance  # type: ignore[union-attr]
    reasons = await kit.rows("SELECT reason FROM delivery_refusals")
    assert ["account_locked", "account_locked"] == [r.reason for r in reasons]


async def test_viber_claim_checks_too_and_no_sms_leg_follows(kit: Kit) -> None:
    """A Viber->SMS cascade message whose number was stop-listed before the Viber dispatcher
    claimed it: cancelled and refunded by the Viber claim; no SMS leg is ever started."""
    account = await kit.account(balance="10")
    await kit.accounts.set_price(PriceEntry("7", Money.parse("0.40"), "Russia", Channel.VIBER))
    item = SendItem(
        recipients=[], sender="Shop", text="sms", channel=Channel.VIBER, fallback=Channel.SMS
    )
    valid_until, extra = viber_leg_fields(item, NOW, NOW + timedelta(days=3), None)
    viber = await kit.accepted_id(
        account.id,
        message(account.id, channel=Channel.VIBER, valid_until=valid_until, extra=extra),
    )
    assert Money.parse("9.6") == (await kit.accounts.get(account.id)).balance  # type: ignore[union-attr]
    await kit.accounts.add_stop(account.id, PHONE, NOW)

    claimed = await kit.queue.claim(NOW, 10, LEASE, Channel.VIBER)

    assert [] == list(claimed)
    assert [(viber, MessageStatus.CANCELLED)] == [(c.message_id, c.status) for c in claimed.refused]
    assert Money.parse("10") == (await kit.accounts.get(account.id)).balance  # type: ignore[union-attr]
    later = NOW + timedelta(days=2)
    assert [] == list(await kit.queue.claim(later, 10, LEASE, Channel.SMS))
    assert [] == list(await kit.queue.claim(later, 10, LEASE, Channel.VIBER))
