"""What the compliance check at delivery costs a claim (issue 9): claim the same queued messages
in batches with the check (as shipped) and with it switched off, alternately, several rounds on
one database (SQLite file, or a fresh PostgreSQL database), and print the fastest time per
claimed message of each.

    .venv/bin/python benchmarks/compliance_claim.py [--postgres postgresql://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from smsrelay.clock import utc
from smsrelay.domain.accounts import Lang
from smsrelay.domain.messages import Channel, NewMessage
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.services.ports import AcceptRequest
from smsrelay.store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore
from smsrelay.store import queue as queue_module
from smsrelay.store.schema import messages

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


async def _run(url: str, n: int, batch: int, rounds: int) -> dict[bool, float]:
    """Fill once; then per round claim everything with the check off and on (statuses reset
    to ``queued`` before each pass); the fastest pass of each (robust to a loaded machine)."""
    db = await Database.open(url)
    best = {False: float("inf"), True: float("inf")}
    try:
        await db.migrate()
        await _fill(db, n)
        saved = queue_module.CHECK_COLUMNS, queue_module.refusal_of
        for r in range(rounds):
            for checked in (False, True) if r % 2 == 0 else (True, False):  # no order bias
                async with db.write() as conn:
                    await conn.execute(
                        update(messages).values(status="queued", lease_until=None, attempts=0)
                    )
                if not checked:
                    queue_module.CHECK_COLUMNS = ()  # type: ignore[misc]
                    queue_module.refusal_of = lambda _row: None  # type: ignore[assignment]
                try:
                    took = await _claim_all(SqlDeliveryQueue(db), n, batch)
                finally:
                    queue_module.CHECK_COLUMNS, queue_module.refusal_of = saved  # type: ignore[misc]
                best[checked] = min(best[checked], took)
    finally:
        await db.close()
    return best


async def _on_postgres(args: argparse.Namespace) -> dict[bool, float]:
    import asyncpg  # type: ignore[import-untyped]

    name = f"smsrelay_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = args.postgres.rsplit("/", 1)[0]
        return await _run(f"{base}/{name}", args.n, args.batch, args.rounds)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="", help="admin URL: a fresh database per run")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if args.postgres:
        best = await _on_postgres(args)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            best = await _run(url, args.n, args.batch, args.rounds)
    off, on = best[False] * 1e6, best[True] * 1e6
    print(
        f"claim per message: without check {off:.1f} us, with check {on:.1f} us "
        f"({on - off:+.1f} us, {100 * (on - off) / off:+.0f}%), batch {args.batch}, n {args.n}, "
        f"best of {args.rounds}"
    )


if __name__ == "__main__":
    asyncio.run(main())
