"""Several nodes on one database (docs/scaling.md, "Several machines"): the carrier connector
is owned by lease, so exactly one node binds it (the simulator here allows ONE bind, as a
carrier would); the node owning it is killed with SIGKILL while traffic flows and its submits
hang; the other node takes the connector's lease within 15 s of the kill (read from the lease
timestamps), binds, and delivers every message: none lost, none charged twice. On SQLite and,
when SMSRELAY_TEST_POSTGRES_URL is set, on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from smsrelay.bootstrap import open_stores
from smsrelay.clock import SystemClock
from smsrelay.config import Settings
from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.services.admin import AdminService
from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.store import Database

from .conftest import phones
from .processes import FINAL, TOKEN, Serve, post_bulk

pytestmark = pytest.mark.faults

TAKEOVER = 15.0  # seconds from the kill to the peer holding the connector (the requirement)
PRICE = Money.parse("0.01")
START = 10_000_000


async def _prepare(url: str) -> None:
    stores = await open_stores(Settings(database_url=url))
    try:
        admin = AdminService(stores.accounts, SystemClock())
        await admin.create_account(
            "load", "pw-load", token=TOKEN, balance=Money.parse(str(START)), any_sender=True
        )
        await admin.set_price("7", PRICE, "Russia", Channel.SMS)
    finally:
        await stores.close()


async def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    async with db.read() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql))).all()]


async def _lease(db: Database) -> tuple[str, datetime | None, int]:
    rows = await _rows(
        db, "SELECT owner, acquired_at, bound FROM connector_leases WHERE connector = 'smpp'"
    )
    if not rows:
        return "", None, 0
    owner, acquired, bound = rows[0]
    if isinstance(acquired, str):  # SQLite keeps naive UTC text
        acquired = datetime.fromisoformat(acquired).replace(tzinfo=UTC)
    return str(owner), acquired, int(bound)  # type: ignore[arg-type,call-overload]


async def _until(check: object, what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.1)  # subprocesses and their database: poll with a deadline


async def test_sigkilled_owner_is_replaced_within_15_s(database_url: str, tmp_path: Path) -> None:
    """Node A owns the connector (one bind), node B none; A's submits hang; SIGKILL A; B holds
    the lease within 15 s of the kill, binds, and every message ends delivered, charged once."""
    await _prepare(database_url)
    smsc = Smsc(SimulatorConfig(port=0, receipt_delay=0.05, max_binds=1))
    await smsc.start()
    db = await Database.open(database_url)
    servers: list[Serve] = []
    env = {"SMSRELAY_MAX_IN_FLIGHT": "100", "SMSRELAY_WEBHOOK_ALLOW_PRIVATE": "1"}
    try:
        a = await Serve.start(
            tmp_path, database_url, smsc.port, 1, SMSRELAY_NODE_ID="node-a", **env
        )
        servers.append(a)

        async def a_owns() -> bool:
            owner, _, bound = await _lease(db)
            return owner == "node-a" and bound > 0

        await _until(a_owns, "node A holding the connector with its bind up", within=30)
        b = await Serve.start(
            tmp_path, database_url, smsc.port, 2, SMSRELAY_NODE_ID="node-b", **env
        )
        servers.append(b)
        ids: list[int] = []
        async with httpx.AsyncClient(timeout=30.0) as http:
            ids += await post_bulk(http, a.base_url, phones(100))
            ids += await post_bulk(http, b.base_url, phones(100, 100))  # accepted by B
            await smsc.wait_for(lambda s: s.counters.accepted >= 50, within=60)
            smsc.hold_responses()  # A's next submits hang: claimed by A at the kill
            ids += await post_bulk(http, b.base_url, phones(100, 200))
            await smsc.wait_for(lambda s: s.held >= 10, within=60)
            assert "node-a" == (await _lease(db))[0]
            assert (1, 0) == (smsc.counters.binds, smsc.counters.bind_failures)  # B never tried
            a.kill()
            killed_at = datetime.now(UTC)
            smsc.release_responses()  # answered to a dead link: B must submit them again
            ids += await post_bulk(http, b.base_url, phones(100, 300))  # traffic goes on

            async def b_owns() -> bool:
                owner, _, bound = await _lease(db)
                return owner == "node-b" and bound > 0

            await _until(b_owns, "node B holding the connector", within=TAKEOVER + 30)
            _, acquired, _ = await _lease(db)
            assert acquired is not None
            takeover = (acquired - killed_at).total_seconds()
            marks = ",".join(f"'{s}'" for s in FINAL)

            async def all_final() -> bool:
                rows = await _rows(
                    db, f"SELECT count(*) FROM messages WHERE status NOT IN ({marks})"
                )
                return int(rows[0][0]) == 0  # type: ignore[call-overload]

            await _until(all_final, "every message final", within=120)
        assert 0 == await b.terminate()
        assert [("", 0)] == [
            (str(o), int(n))  # type: ignore[call-overload]
            for o, n in await _rows(db, "SELECT owner, bound FROM connector_leases")
        ]  # released on a clean shutdown
    finally:
        for server in servers:
            server.reap()
        await smsc.stop()
    try:
        statuses = await _rows(db, "SELECT status, count(*) FROM messages GROUP BY status")
        moves = await _rows(db, "SELECT kind, sum(amount_micros) FROM ledger GROUP BY kind")
        [(balance,)] = await _rows(db, "SELECT balance_micros FROM accounts WHERE login = 'load'")
    finally:
        await db.close()
    print(f"\nnode takeover: connector lease taken {takeover:.1f} s after the SIGKILL")
    assert [("delivered", len(ids))] == [(str(s), int(n)) for s, n in statuses]  # type: ignore[call-overload]
    assert len(set(ids)) == len(ids) == 400
    charged = {str(k): int(v) for k, v in moves if k in ("charge", "refund")}  # type: ignore[call-overload]
    assert {"charge": -400 * PRICE.micros} == charged  # once each, nothing refunded
    assert Money.parse(str(START)).micros - 400 * PRICE.micros == int(balance)  # type: ignore[call-overload]
    assert 0 <= takeover <= TAKEOVER
