"""What the compliance check at delivery costs a claim (issue 9): claim the same batches of
queued messages with the check (as shipped) and with it switched off, on a SQLite file or a
PostgreSQL URL, and print the time per claimed message of each.

    .venv/bin/python benchmarks/compliance_claim.py [--postgres postgresql://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from smsrelay.clock import utc
from smsrelay.domain.accounts import Lang
from smsrelay.domain.messages import Channel, NewMessage
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.services.ports import AcceptRequest
from smsrelay.store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore
from smsrelay.store import queue as queue_module

NOW = utc(2026, 1, 1, 12)
LEASE = timedelta(minutes=5)


async def _fill(db: Database, n: int) -> None:
    accounts, store = SqlAccountStore(db), SqlMessageStore(db)
    await accounts.set_price(PriceEntry("7", Money.parse("1"), "Russia"))
    account = await accounts.create(
        login="bench",
        password_hash="x",
        token=None,
        balance=Money.parse("1000000"),
        lang=Lang.RU,
        any_sender=False,
        parent_id=None,
        now=NOW,
    )
    await accounts.set_sender(account.id, Sender("Shop", SenderState.COMPLETED))
    for start in range(0, n, 500):
        batch = [
            NewMessage(
                account_id=account.id,
                phone=f"7900{i:07d}",
                sender="Shop",
                text="hello",
                parts=1,
                channel=Channel.SMS,
            )
            for i in range(start, min(n, start + 500))
        ]
        await store.accept_batch([AcceptRequest(account.id, tuple(batch))], NOW)


async def _claim_all(queue: SqlDeliveryQueue, n: int, batch: int) -> float:
    began = time.perf_counter()
    got = 0
    while got < n:
        claimed = await queue.claim(NOW, batch, LEASE)
        if not claimed:
            break
        got += len(claimed)
    return (time.perf_counter() - began) / max(got, 1)


async def _run(url: str, n: int, batch: int, checked: bool) -> float:
    db = await Database.open(url)
    try:
        await db.migrate()
        await _fill(db, n)
        saved = queue_module.CHECK_COLUMNS, queue_module.refusal_of
        if not checked:
            queue_module.CHECK_COLUMNS = ()  # type: ignore[misc]
            queue_module.refusal_of = lambda _row: None  # type: ignore[assignment]
        try:
            return await _claim_all(SqlDeliveryQueue(db), n, batch)
        finally:
            queue_module.CHECK_COLUMNS, queue_module.refusal_of = saved  # type: ignore[misc]
    finally:
        await db.close()


async def _on_postgres(args: argparse.Namespace, checked: bool) -> float:
    import asyncpg  # type: ignore[import-untyped]

    name = f"smsrelay_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = args.postgres.rsplit("/", 1)[0]
        return await _run(f"{base}/{name}", args.n, args.batch, checked)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="", help="admin URL: a fresh database per run")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for checked in (False, True):
                if args.postgres:
                    results[checked].append(await _on_postgres(args, checked))
                else:
                    url = f"sqlite:///{Path(tmp) / f'b{r}{checked}.db'}"
                    results[checked].append(await _run(url, args.n, args.batch, checked))
    off, on = (statistics.median(results[c]) * 1e6 for c in (False, True))
    print(
        f"claim per message: without check {off:.1f} us, with check {on:.1f} us "
        f"({on - off:+.1f} us, {100 * (on - off) / off:+.0f}%), batch {args.batch}, n {args.n}"
    )


if __name__ == "__main__":
    asyncio.run(main())
