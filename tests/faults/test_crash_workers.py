"""``smsrelay serve --workers 2`` (worker 0 and an HTTP-only process that claims at acceptance
on worker 0's credit) killed with SIGKILL mid-run and started again, on SQLite and, when
SMSRELAY_TEST_POSTGRES_URL is set, on PostgreSQL: every id_sms a client got ends delivered,
each accepted part is charged exactly once, nothing is refunded, and at most the in-flight
window is submitted twice (docs/scaling.md, "One machine, several processes")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.store import Database

from .conftest import phones
from .processes import FINAL, Serve, post_bulk
from .test_node_takeover import _prepare

pytestmark = pytest.mark.faults

MESSAGES = 3_000
PER_REQUEST = 50  # many small requests: both processes accept
MAX_IN_FLIGHT = 300


async def _one(db: Database, sql: str) -> int:
    async with db.read() as conn:
        return int((await conn.execute(text(sql))).scalar_one() or 0)


async def test_sigkill_of_two_processes_loses_nothing_and_charges_once(
    database_url: str, tmp_path: Path
) -> None:
    await _prepare(database_url)
    smsc = Smsc(SimulatorConfig(port=0, receipt_delay=0.05))
    await smsc.start()
    env = {
        "SMSRELAY_WORKERS": "2",
        "SMSRELAY_LEASE_SECONDS": "10",
        "SMSRELAY_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT),
    }
    numbers = phones(MESSAGES)
    batches = [numbers[i : i + PER_REQUEST] for i in range(0, len(numbers), PER_REQUEST)]
    received: list[int] = []
    servers: list[Serve] = []
    db = await Database.open(database_url)
    try:
        first = await Serve.start(tmp_path, database_url, smsc.port, 1, **env)
        servers.append(first)
        base = {"url": first.base_url}
        restarted = asyncio.Event()

        async def load() -> None:
            while batches:
                batch = batches.pop(0)
                async with httpx.AsyncClient(timeout=60.0) as http:  # a new connection each:
                    try:  # the kernel spreads them over both processes
                        received.extend(await post_bulk(http, base["url"], batch))
                    except httpx.HTTPError:
                        await restarted.wait()  # unanswered: no id was given

        loaders = [asyncio.create_task(load()) for _ in range(6)]
        await smsc.wait_for(lambda s: s.counters.accepted >= MESSAGES // 3, within=300)
        first.kill()  # worker 0: its HTTP-only child dies with it
        second = await Serve.start(tmp_path, database_url, smsc.port, 2, **env)
        servers.append(second)
        base["url"] = second.base_url
        restarted.set()
        await asyncio.gather(*loaders)
        marks = ",".join(f"'{s}'" for s in FINAL)
        left = f"SELECT count(*) FROM messages WHERE status NOT IN ({marks})"
        async with asyncio.timeout(300):
            while await _one(db, left) > 0:  # noqa: ASYNC110 - another process's database
                await asyncio.sleep(0.2)
        assert 0 == await second.terminate()
        stored = await _one(db, "SELECT count(*) FROM messages")
        delivered = await _one(db, "SELECT count(*) FROM messages WHERE status = 'delivered'")
        charged = -await _one(db, "SELECT sum(amount_micros) FROM ledger WHERE kind = 'charge'")
        owed = await _one(db, "SELECT sum(parts * price_micros) FROM messages")
        refunds = await _one(db, "SELECT count(*) FROM ledger WHERE kind = 'refund'")
        listed = ",".join(map(str, received))
        ids = await _one(db, f"SELECT count(*) FROM messages WHERE id IN ({listed})")
    finally:
        for server in servers:
            server.reap()
        await db.close()
        await smsc.stop()
    assert ids == len(received) and len(set(received)) == len(received)
    assert stored == delivered
    assert (owed, 0) == (charged, refunds)
    assert 0 <= smsc.counters.accepted - stored <= MAX_IN_FLIGHT
