"""DeliveryQueue contract: claims by state, submit outcomes, receipts, expiry."""

from __future__ import annotations

from datetime import timedelta

from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.domain.status import MessageStatus, PartState
from smsrelay.services.ports import (
    PartAccepted,
    ReceiptRecord,
    ReceiptsApplied,
    StatusChange,
    SubmitRecord,
)

from .conftest import LEASE, NOW, Kit, message

S = MessageStatus
P = PartState


def receipt(carrier_id: str, state: PartState, seconds: int = 10) -> ReceiptRecord:
    return ReceiptRecord("smsc", (carrier_id,), state, NOW + timedelta(seconds=seconds))


async def status_of(kit: Kit, account_id: int, id_sms: int) -> MessageStatus:
    return (await kit.messages.views(account_id, [id_sms]))[id_sms].status


async def test_claim_takes_due_work_in_order_and_leases_it(kit: Kit) -> None:
    """Queued messages due now are claimed in (due_at, id) order, up to the limit, once."""
    account = await kit.account()
    ids = [await kit.accepted_id(account.id, message(account.id)) for _ in range(5)]
    first = await kit.claim(limit=3)
    second = await kit.claim(limit=3)
    assert ids[:3] == [m.id for m in first]
    assert ids[3:] == [m.id for m in second]
    assert [1] * 5 == [m.attempts for m in first + second]
    assert [] == await kit.claim(now=NOW + LEASE - timedelta(seconds=1))
    views = await kit.messages.views(account.id, ids)
    assert {S.SUBMITTING} == {v.status for v in views.values()}


async def test_expired_lease_is_claimed_again(kit: Kit) -> None:
    """A crashed worker's ``submitting`` message is reclaimed once its lease has run out."""
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id))
    [first] = await kit.claim()
    assert [] == await kit.claim(now=NOW + LEASE)
    [again] = await kit.claim(now=NOW + LEASE + timedelta(microseconds=1))
    assert (id_sms, 1, 2) == (again.id, first.attempts, again.attempts)


async def test_claim_is_per_channel_and_skips_expired(kit: Kit) -> None:
    """Only the asked channel is claimed; a message past its validity is left to expire()."""
    account = await kit.account()
    await kit.accounts.set_price(PriceEntry("7", Money.parse("1"), "Russia", Channel.VIBER))
    sms = await kit.accepted_id(account.id, message(account.id))
    viber = await kit.accepted_id(account.id, message(account.id, channel=Channel.VIBER))
    await kit.accepted_id(account.id, message(account.id, valid_until=NOW))
    assert [viber] == [m.id for m in await kit.queue.claim(NOW, 10, LEASE, Channel.VIBER)]
    assert [sms] == [m.id for m in await kit.claim()]


async def test_accepted_submit_makes_the_message_submitted(kit: Kit) -> None:
    """All parts accepted: ``submitted``, each part pending under its carrier id."""
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id, parts=2))
    await kit.claim()
    changes = await kit.queue.record_submits(
        [SubmitRecord(id_sms, "smsc", (PartAccepted(1, "a1"), PartAccepted(2, "a2")))], NOW
    )
    assert [StatusChange(id_sms, account.id, S.SUBMITTED, NOW)] == changes
    parts = await kit.rows("SELECT part_no, carrier_id, state, connector FROM message_parts")
    assert [(1, "a1", "pending", "smsc"), (2, "a2", "pending", "smsc")] == [tuple(r) for r in parts]
    view = (await kit.messages.views(account.id, [id_sms]))[id_sms]
    assert (S.SUBMITTED, None) == (view.status, view.status_at)
    assert [] == await kit.claim(now=NOW + timedelta(hours=1))


async def test_rejected_submit_refunds_the_rejected_parts(kit: Kit) -> None:
    """Carrier refusal: ``rejected`` now, refund of price x rejected parts with a ledger row."""
    account = await kit.account("alice", "10")
    id_sms = await kit.accepted_id(account.id, message(account.id, parts=3))
    await kit.claim()
    changes = await kit.queue.record_submits(
        [SubmitRecord(id_sms, "smsc", (PartAccepted(1, "r1"),), rejected_parts=2)], NOW
    )
    assert [StatusChange(id_sms, account.id, S.REJECTED, NOW)] == changes
    assert Money.parse("9") == await kit.messages.balance(account.id)
    refunds = await kit.rows("SELECT amount_micros, message_id FROM ledger WHERE kind = 'refund'")
    assert [(2_000_000, id_sms)] == [tuple(r) for r in refunds]
    view = (await kit.messages.views(account.id, [id_sms]))[id_sms]
    assert (S.REJECTED, NOW) == (view.status, view.status_at)


async def test_retry_requeues_at_the_given_time(kit: Kit) -> None:
    """A temporary failure puts the message back in the queue, due at ``retry_at``."""
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id))
    await kit.claim()
    retry_at = NOW + timedelta(seconds=20)
    changes = await kit.queue.record_submits(
        [SubmitRecord(id_sms, "smsc", retry_at=retry_at, detail="throttled")], NOW
    )
    assert [StatusChange(id_sms, account.id, S.QUEUED, NOW)] == changes
    assert [] == await kit.claim(now=retry_at - timedelta(seconds=1))
    [again] = await kit.claim(now=retry_at)
    assert (id_sms, 2) == (again.id, again.attempts)


async def test_late_submit_outcome_never_moves_a_message_back(kit: Kit) -> None:
    """An outcome arriving after the message moved on changes nothing but stores its parts."""
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id))
    [claimed] = await kit.claim()
    await kit.submitted(claimed, "first")
    await kit.queue.apply_receipts([receipt("first", P.DELIVERED)])
    late = await kit.queue.record_submits(
        [
            SubmitRecord(id_sms, "smsc", retry_at=NOW),
            SubmitRecord(id_sms, "smsc", rejected_parts=1),
        ],
        NOW,
    )
    assert [] == late
    assert S.DELIVERED == await status_of(kit, account.id, id_sms)
    assert Money.parse("99") == await kit.messages.balance(account.id)


async def test_receipts_for_all_parts_deliver_the_message(kit: Kit) -> None:
    """The message becomes final only when every part is; its time is the last receipt's."""
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id, parts=3))
    [claimed] = await kit.claim()
    await kit.submitted(claimed, "p1", "p2", "p3")
    first = await kit.queue.apply_receipts([receipt("p1", P.DELIVERED), receipt("p2", P.DELIVERED)])
    assert ReceiptsApplied() == first
    last = await kit.queue.apply_receipts([receipt("p3", P.DELIVERED, seconds=30)])
    at = NOW + timedelta(seconds=30)
    assert ReceiptsApplied([StatusChange(id_sms, account.id, S.DELIVERED, at)]) == last
    view = (await kit.messages.views(account.id, [id_sms]))[id_sms]
    assert (S.DELIVERED, at) == (view.status, view.status_at)


async def test_mixed_and_failed_parts_aggregate(kit: Kit) -> None:
    """Some parts delivered -> partly_delivered; none delivered -> the worst part state."""
    account = await kit.account()
    partly = await kit.accepted_id(account.id, message(account.id, parts=2))
    failed = await kit.accepted_id(account.id, message(account.id, parts=2))
    for claimed in await kit.claim():
        await kit.submitted(claimed)
    applied = await kit.queue.apply_receipts(
        [
            receipt(f"c{partly}-1", P.DELIVERED),
            receipt(f"c{partly}-2", P.UNDELIVERED),
            receipt(f"c{failed}-1", P.EXPIRED),
            receipt(f"c{failed}-2", P.UNDELIVERED),
        ]
    )
    at = NOW + timedelta(seconds=10)
    assert [
        StatusChange(partly, account.id, S.PARTLY_DELIVERED, at),
        StatusChange(failed, account.id, S.UNDELIVERED, at),
    ] == applied.changes


async def test_receipt_before_submit_is_unmatched_until_recorded(kit: Kit) -> None:
    """A receipt racing ahead of its submit record matches nothing; retried later, it does."""
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id))
    [claimed] = await kit.claim()
    early = receipt("fast", P.DELIVERED)
    assert ReceiptsApplied(unmatched=[early]) == await kit.queue.apply_receipts([early])
    await kit.submitted(claimed, "fast")
    applied = await kit.queue.apply_receipts([early])
    assert [StatusChange(id_sms, account.id, S.DELIVERED, early.at)] == applied.changes


async def test_duplicate_and_contradicting_receipts_are_harmless(kit: Kit) -> None:
    """A final part state never changes: repeats and later contradictions change nothing."""
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id))
    [claimed] = await kit.claim()
    await kit.submitted(claimed, "d1")
    [first] = (await kit.queue.apply_receipts([receipt("d1", P.DELIVERED)] * 2)).changes
    assert StatusChange(id_sms, account.id, S.DELIVERED, NOW + timedelta(seconds=10)) == first
    again = await kit.queue.apply_receipts(
        [receipt("d1", P.DELIVERED, 50), receipt("d1", P.UNDELIVERED, 60)]
    )
    assert ReceiptsApplied() == again
    assert ["delivered"] == [r.state for r in await kit.rows("SELECT state FROM message_parts")]


async def test_receipt_matches_its_first_known_candidate_id(kit: Kit) -> None:
    """Carrier ids arrive in several spellings; the first one on record is used."""
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id))
    [claimed] = await kit.claim()
    await kit.submitted(claimed, "1f")
    spelled = ReceiptRecord("smsc", ("31", "1f", "0000001f"), P.DELIVERED, NOW)
    other_connector = ReceiptRecord("other", ("1f",), P.DELIVERED, NOW)
    applied = await kit.queue.apply_receipts([other_connector, spelled])
    assert [other_connector] == applied.unmatched
    assert [StatusChange(id_sms, account.id, S.DELIVERED, NOW)] == applied.changes


async def test_expire_refunds_only_never_submitted_messages(kit: Kit) -> None:
    """Past validity: waiting messages expire refunded; submitted ones end by their parts
    (``aggregate_parts(give_up=True)``), without refund."""
    account = await kit.account("alice", "100")
    until = NOW + timedelta(minutes=1)
    queued = await kit.accepted_id(account.id, message(account.id, parts=2, valid_until=until))
    sent = await kit.accepted_id(account.id, message(account.id, parts=2, valid_until=until))
    half = await kit.accepted_id(account.id, message(account.id, parts=2, valid_until=until))
    for claimed in await kit.claim():
        if claimed.id == queued:
            await kit.queue.record_submits([SubmitRecord(queued, "smsc", retry_at=until)], NOW)
        else:
            await kit.submitted(claimed)
    await kit.queue.apply_receipts([receipt(f"c{half}-1", P.DELIVERED)])
    scheduled = await kit.accepted_id(
        account.id, message(account.id, time_send=NOW + timedelta(seconds=30), valid_until=until)
    )
    later = until + timedelta(seconds=1)
    changes = await kit.queue.expire(later, 100)
    assert {queued: S.EXPIRED, sent: S.EXPIRED, half: S.PARTLY_DELIVERED, scheduled: S.EXPIRED} == {
        c.message_id: c.status for c in changes
    }
    assert {later} == {c.at for c in changes}
    refunds = await kit.rows("SELECT message_id, amount_micros FROM ledger WHERE kind = 'refund'")
    assert {queued: 2_000_000, scheduled: 1_000_000} == {
        r.message_id: r.amount_micros for r in refunds
    }
    assert Money.parse("96") == await kit.messages.balance(account.id)
    assert [] == await kit.queue.expire(later, 100)


async def test_expire_takes_abandoned_submits_only(kit: Kit) -> None:
    """A ``submitting`` message whose lease ran out expires refunded (``limit`` bounds each
    call); one with a live lease is left to its worker's record_submits."""
    account = await kit.account("alice", "10")
    until = NOW + timedelta(minutes=1)
    live = await kit.accepted_id(account.id, message(account.id, valid_until=until))
    await kit.queue.claim(NOW, 1, timedelta(minutes=10))
    ids = [
        await kit.accepted_id(account.id, message(account.id, valid_until=until)) for _ in range(3)
    ]
    await kit.claim()
    later = until + timedelta(seconds=1)
    first = await kit.queue.expire(later, 2)
    second = await kit.queue.expire(later, 2)
    assert ids == [c.message_id for c in first + second]
    assert Money.parse("9") == await kit.messages.balance(account.id)
    assert S.SUBMITTING == await status_of(kit, account.id, live)


async def test_release_scheduled_counts_and_limits(kit: Kit) -> None:
    """Scheduled messages whose time came become queued, at most ``limit`` per call."""
    account = await kit.account()
    at = NOW + timedelta(minutes=10)
    for _ in range(3):
        await kit.accepted_id(account.id, message(account.id, time_send=at))
    assert 0 == await kit.queue.release_scheduled(NOW, 10)
    assert 2 == await kit.queue.release_scheduled(at, 2)
    assert 1 == await kit.queue.release_scheduled(at, 2)
    assert 3 == len(await kit.claim(now=at))
