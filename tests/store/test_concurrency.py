"""Many writers at once: money, idempotency keys and claims stay exact.

Two :class:`Database` objects on one database stand for two server processes (on PostgreSQL
their transactions really interleave on the server; on SQLite they queue for the file lock).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from smsrelay.domain.acceptance import AcceptanceContext
from smsrelay.domain.money import Money
from smsrelay.services.ports import Accepted, AcceptRequest
from smsrelay.store import Database, SqlDeliveryQueue, SqlMessageStore
from smsrelay.store.accept_sqlite import AcceptLoad

from .conftest import LEASE, NOW, Kit, message


@pytest.fixture
async def second_db(database_url: str, database: Database) -> AsyncIterator[Database]:
    """Another connection pool on the same (already migrated) database."""
    other = await Database.open(database_url)
    try:
        yield other
    finally:
        await other.close()


async def test_balance_never_goes_negative(kit: Kit, second_db: Database) -> None:
    """200 messages race for money for 50: exactly 50 are accepted, the balance ends at 0
    and the ledger adds up to it."""
    account = await kit.account("alice", "50")
    stores = [kit.messages, SqlMessageStore(second_db)]

    async def send(n: int) -> list[Any]:
        batch = [message(account.id, f"7900000{n:04d}") for _ in range(5)]
        [results] = await stores[n % 2].accept_batch([AcceptRequest(account.id, batch)], NOW)
        return results

    results = [r for rs in await asyncio.gather(*(send(n) for n in range(40))) for r in rs]
    accepted = [r for r in results if isinstance(r, Accepted)]
    assert 50 == len(accepted)
    assert 50 == len({r.id_sms for r in accepted})
    assert Money(0) == await kit.messages.balance(account.id)
    assert 0 == await kit.scalar("SELECT sum(amount_micros) FROM ledger")
    assert 50 == await kit.scalar("SELECT count(*) FROM messages")


async def test_concurrent_requests_with_one_client_id_store_one_message(
    kit: Kit, second_db: Database
) -> None:
    """The same client_id_sms sent at once through two processes is stored and charged once;
    every answer carries that one id."""
    account = await kit.account("alice", "10")
    stores = [kit.messages, SqlMessageStore(second_db)]

    async def send(n: int) -> Any:
        request = AcceptRequest(account.id, [message(account.id, client_id_sms="once")])
        [[result]] = await stores[n % 2].accept_batch([request], NOW)
        return result

    results = await asyncio.gather(*(send(n) for n in range(10)))
    assert all(isinstance(r, Accepted) for r in results)
    assert 1 == len({r.id_sms for r in results})
    assert 1 == sum(not r.duplicate for r in results)
    assert Money.parse("9") == await kit.messages.balance(account.id)


class _StaleFirstRead(SqlMessageStore):
    """Forgets the stored client ids on its first load, as if another process inserted the
    same key between our read and our insert (the unique index must catch it)."""

    stale = True

    def _contexts(self, loaded: AcceptLoad) -> tuple[dict[int, AcceptanceContext], dict[Any, Any]]:
        contexts, earlier = super()._contexts(loaded)
        if self.stale:
            self.stale = False
            return {
                a: AcceptanceContext(
                    c.account_id,
                    c.locked,
                    c.any_sender,
                    c.balance,
                    c.prices,
                    c.senders,
                    c.stopped,
                    frozenset(),
                )
                for a, c in contexts.items()
            }, {}
        return contexts, earlier


async def test_unique_violation_retries_the_batch_once(kit: Kit) -> None:
    """A key stored by someone else between read and insert: the batch is retried and
    answers the stored id, charging nothing twice."""
    account = await kit.account("alice", "10")
    [first] = await kit.accept(account.id, message(account.id, client_id_sms="k"))
    assert isinstance(first, Accepted)
    racing = _StaleFirstRead(kit.db)
    [[again]] = await racing.accept_batch(
        [AcceptRequest(account.id, [message(account.id, client_id_sms="k")])], NOW
    )
    assert Accepted(first.id_sms, 1, Money.parse("1"), duplicate=True) == again
    assert Money.parse("9") == await kit.messages.balance(account.id)


async def test_concurrent_claimers_never_share_a_message(kit: Kit, second_db: Database) -> None:
    """Workers claiming at once (two processes) split the queue: no message twice, none lost."""
    account = await kit.account("alice", "100")
    await kit.accept(account.id, *(message(account.id) for _ in range(60)))
    queues = [kit.queue, SqlDeliveryQueue(second_db)]
    batches = await asyncio.gather(*(queues[n % 2].claim(NOW, 15, LEASE) for n in range(6)))
    claimed = [m.id for batch in batches for m in batch]
    assert 60 == len(claimed)
    assert 60 == len(set(claimed))
    assert [] == await kit.claim()
