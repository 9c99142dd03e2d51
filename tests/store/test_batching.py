"""Batch writes cost a fixed number of statements, whatever the batch size (no per-message
round trips): counted at the driver, for 10 and for 1,000 messages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from smsrelay.domain.accounts import Account
from smsrelay.domain.status import PartState
from smsrelay.services.ports import AcceptRequest, PartAccepted, ReceiptRecord, SubmitRecord

from .conftest import LEASE, NOW, Kit, message


@contextmanager
def counting(kit: Kit) -> Iterator[list[str]]:
    """Statements sent through SQLAlchemy while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    engine = kit.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def one_round(kit: Kit, size: int, accounts: Sequence[Account]) -> list[int]:
    """Statements for: accept ``size`` messages, claim, record submits, apply receipts, and
    the same requests again (all duplicates)."""

    def requests() -> list[AcceptRequest]:
        return [
            AcceptRequest(
                a.id,
                [
                    message(a.id, f"79{size:04d}{n:05d}", client_id_sms=f"{size}-{n}")
                    for n in range(size // len(accounts))
                ],
            )
            for a in accounts
        ]

    counts = []
    with counting(kit) as seen:
        await kit.messages.accept_batch(requests(), NOW)
    counts.append(len(seen))
    with counting(kit) as seen:
        claimed = await kit.queue.claim(NOW, size, LEASE)
    counts.append(len(seen))
    assert size == len(claimed)
    records = [SubmitRecord(m.id, "smsc", (PartAccepted(1, f"id{m.id}"),)) for m in claimed]
    with counting(kit) as seen:
        await kit.queue.record_submits(records, NOW)
    counts.append(len(seen))
    receipts = [ReceiptRecord("smsc", (f"id{m.id}",), PartState.DELIVERED, NOW) for m in claimed]
    with counting(kit) as seen:
        await kit.queue.apply_receipts(receipts)
    counts.append(len(seen))
    with counting(kit) as seen:
        await kit.messages.accept_batch(requests(), NOW)
    counts.append(len(seen))
    return counts


async def test_round_trips_do_not_grow_with_the_batch(kit: Kit) -> None:
    """accept_batch, claim, record_submits, apply_receipts: the same statement count for 10
    messages as for 1,000."""
    alice = await kit.account("alice", "100000")
    bob = await kit.account("bob", "100000", prices=False)
    await kit.accept(alice.id, message(alice.id))  # loads the price list into the cache
    await kit.claim()
    assert await one_round(kit, 10, [alice, bob]) == await one_round(kit, 1000, [alice, bob])


async def test_expire_statements_do_not_grow_with_the_batch(kit: Kit) -> None:
    """Expiring (and refunding) 1,000 messages costs what expiring 10 does."""
    account = await kit.account("alice", "100000")
    counts = []
    for size in (10, 1000):
        until = NOW + timedelta(minutes=size)
        await kit.accept(account.id, *(message(account.id, valid_until=until) for _ in range(size)))
        with counting(kit) as seen:
            changes = await kit.queue.expire(until + LEASE, 5000)
        assert size == len(changes)
        counts.append(len(seen))
    assert counts[0] == counts[1]
