"""The durable outbox on SQLite and PostgreSQL: the trigger writes it in the status change's
own transaction; claims by state with a lease; ack rules, backoff, failure, release, prune."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from smsrelay.domain.messages import Channel
from smsrelay.domain.status import MessageStatus
from smsrelay.services.ports import SubmitRecord
from smsrelay.services.webhooks import PushOutcome, WebhookConfig, WebhookFormat
from smsrelay.store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore
from smsrelay.store.push_outbox import backoff_delay
from smsrelay.store.webhooks import SqlWebhookStore
from store.conftest import NOW, Kit, message

LEASE = timedelta(seconds=60)
BACKOFF = timedelta(seconds=30)
HOOK = WebhookConfig("http://127.0.0.1:9/hook", WebhookFormat.JSON)


@pytest.fixture
def kit(database: Database) -> Kit:
    return Kit(
        database, SqlAccountStore(database), SqlMessageStore(database), SqlDeliveryQueue(database)
    )


@pytest.fixture
def hooks(database: Database) -> SqlWebhookStore:
    return SqlWebhookStore(database)


async def rejected(kit: Kit, account_id: int, count: int = 1) -> list[int]:
    """``count`` messages taken to ``rejected`` by the engine's real submit path."""
    ids = [
        await kit.accepted_id(account_id, message(account_id, f"7900123000{n}"))
        for n in range(count)
    ]
    claimed = await kit.claim()
    await kit.queue.record_submits(
        [SubmitRecord(m.id, "smsc", rejected_parts=1) for m in claimed], NOW
    )
    return ids


async def outbox(kit: Kit) -> list[tuple[int, str, str]]:
    rows = await kit.rows("SELECT message_id, status, state FROM webhook_outbox ORDER BY id")
    return [(int(r[0]), r[1], r[2]) for r in rows]


async def test_final_changes_of_hooked_accounts_reach_the_outbox(
    kit: Kit, hooks: SqlWebhookStore
) -> None:
    """Only changes INTO a final status, only for accounts with a webhook, by any code path
    (submit rejection, expiry, a plain UPDATE such as delivered -> read)."""
    hooked = await kit.account("hooked")
    other = await kit.account("other", prices=False)
    await hooks.set_webhook(hooked.id, HOOK, NOW)
    [r1] = await rejected(kit, hooked.id)
    await rejected(kit, other.id)
    e1 = await kit.accepted_id(hooked.id, message(hooked.id, valid_until=NOW + timedelta(hours=1)))
    await kit.queue.expire(NOW + timedelta(hours=2), 100)
    async with kit.db.write() as conn:
        await conn.execute(
            text("UPDATE messages SET status = 'delivered' WHERE id = :i"), {"i": r1}
        )
        await conn.execute(text("UPDATE messages SET status = 'read' WHERE id = :i"), {"i": r1})
        await conn.execute(text("UPDATE messages SET status = 'read' WHERE id = :i"), {"i": r1})

    assert [
        (r1, "rejected", "pending"),
        (e1, "expired", "pending"),
        (r1, "delivered", "pending"),
        (r1, "read", "pending"),
    ] == await outbox(kit)


async def test_the_outbox_row_is_written_in_the_same_transaction(
    kit: Kit, hooks: SqlWebhookStore
) -> None:
    """A status change rolled back leaves no push behind; messages inserted already final
    are pushed too."""
    acc = await kit.account()
    await hooks.set_webhook(acc.id, HOOK, NOW)
    mid = await kit.accepted_id(acc.id, message(acc.id))
    with pytest.raises(RuntimeError):
        async with kit.db.write() as conn:
            await conn.execute(
                text("UPDATE messages SET status = 'cancelled' WHERE id = :i"), {"i": mid}
            )
            raise RuntimeError("rolled back")
    assert [] == await outbox(kit)
    async with kit.db.write() as conn:
        await conn.execute(
            text(
                "INSERT INTO messages (account_id, phone, sender, text, channel, kind, parts,"
                " price_micros, status, created_at, due_at, valid_until, attempts) SELECT"
                " account_id, phone, sender, text, channel, kind, parts, price_micros,"
                " 'rejected', created_at, due_at, valid_until, 0 FROM messages WHERE id = :i"
            ),
            {"i": mid},
        )
    assert [(mid + 1, "rejected", "pending")] == await outbox(kit)


async def test_claims_hold_a_lease_and_group_posts_per_account(
    kit: Kit, hooks: SqlWebhookStore
) -> None:
    """Claimed rows are not claimed again until their lease ends (a crashed pusher's), then
    come back in the same POST; accounts are never mixed; batches are bounded."""
    a, b = await kit.account("a"), await kit.account("b", prices=False)
    for acc in (a, b):
        await hooks.set_webhook(acc.id, HOOK, NOW)
    a_ids = await rejected(kit, a.id, 3)
    b_ids = await rejected(kit, b.id, 1)

    first = await hooks.claim(NOW, 100, LEASE, batch_size=2)
    assert [(a.id, a_ids[:2]), (a.id, a_ids[2:]), (b.id, b_ids)] == sorted(
        (x.account_id, [i.message_id for i in x.items]) for x in first
    )
    assert [] == await hooks.claim(NOW + LEASE, 100, LEASE, 2)
    again = await hooks.claim(NOW + LEASE + timedelta(seconds=1), 100, LEASE, 2)
    assert sorted(x.delivery_id for x in first) == sorted(x.delivery_id for x in again)
    assert {2} == {x.attempt for x in again}
    # the first claimer's late outcome is ignored: its claim token is no longer valid
    await hooks.record(
        [PushOutcome(first[0], frozenset(i.message_id for i in first[0].items), http_status=200)],
        NOW,
        5,
        BACKOFF,
    )
    assert {"sending"} == {s for _, _, s in await outbox(kit)}
    skipped = await hooks.claim(NOW + 2 * LEASE + timedelta(seconds=2), 100, LEASE, 2, [a.id])
    assert [b.id] == [x.account_id for x in skipped]


async def test_ack_rules_backoff_and_failure(kit: Kit, hooks: SqlWebhookStore) -> None:
    """Acked ids -> delivered; the rest wait first*2^(n-1), and fail after the last attempt."""
    acc = await kit.account()
    await hooks.set_webhook(acc.id, HOOK, NOW)
    one, two = await rejected(kit, acc.id, 2)
    [batch] = await hooks.claim(NOW, 100, LEASE, 100)
    await hooks.record(
        [PushOutcome(batch, frozenset({one, 12345}), http_status=200)], NOW, 2, BACKOFF
    )
    assert [(one, "rejected", "delivered"), (two, "rejected", "pending")] == await outbox(kit)
    assert [] == await hooks.claim(NOW + BACKOFF - timedelta(seconds=1), 100, LEASE, 100)
    [retry] = await hooks.claim(NOW + BACKOFF, 100, LEASE, 100)
    assert (batch.delivery_id, 2, [two]) == (
        retry.delivery_id,
        retry.attempt,
        [i.message_id for i in retry.items],
    )
    await hooks.record([PushOutcome(retry, error="timeout")], NOW + BACKOFF, 2, BACKOFF)
    pushes, delivered = await hooks.overview(acc.id, 10)
    assert (1, [(two, MessageStatus.REJECTED, "failed", 2, "timeout")]) == (
        delivered,
        [(p.id_sms, p.status, p.state, p.attempts, p.last_result) for p in pushes],
    )
    history = await hooks.attempts(acc.id, 10)
    assert [(2, None, "timeout", 1, 0), (1, 200, None, 2, 1)] == [
        (h.attempt, h.http_status, h.error, h.sent, h.acked) for h in history
    ]
    assert [timedelta(0), BACKOFF, 2 * BACKOFF, 8 * BACKOFF, timedelta(hours=6)] == [
        backoff_delay(BACKOFF, n) for n in (0, 1, 2, 4, 40)
    ]


async def test_release_remove_and_prune(kit: Kit, hooks: SqlWebhookStore) -> None:
    """A released claim is pending again without counting an attempt; removing the webhook
    drops what was not delivered; prune forgets old delivered and dropped rows."""
    acc = await kit.account()
    await hooks.set_webhook(acc.id, HOOK, NOW)
    [mid] = await rejected(kit, acc.id)
    batches = await hooks.claim(NOW, 100, LEASE, 100)
    await hooks.release(batches, NOW)
    [again] = await hooks.claim(NOW, 100, LEASE, 100)
    assert (1, Channel.SMS) == (again.attempt, again.items[0].channel)
    await hooks.remove_webhook(acc.id, NOW)
    assert (None, [(mid, "rejected", "dropped")]) == (
        await hooks.get_webhook(acc.id),
        await outbox(kit),
    )
    assert 0 == await hooks.prune(NOW)
    assert 1 == await hooks.prune(NOW + timedelta(seconds=1))
    assert [] == await outbox(kit)
