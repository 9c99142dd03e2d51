"""A real ``smsrelay serve`` killed with SIGKILL mid-run and started again loses nothing and
charges nothing twice; SIGTERM drains in-flight submits, unbinds and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from smsrelay.simulator.smsc import SimulatorConfig, Smsc

from .conftest import phones
from .processes import Serve, post_bulk, prepare_database, query, wait_all_final

pytestmark = pytest.mark.faults

#: messages in the SIGKILL run (SMSRELAY_FAULT_MESSAGES to change; the benchmark runs 50,000)
CRASH_MESSAGES = int(os.environ.get("SMSRELAY_FAULT_MESSAGES", "10000"))
MAX_IN_FLIGHT = 500
PER_REQUEST = 250
LEASE = "10"  # long enough that a busy machine never re-claims a live submit


async def start_smsc() -> Smsc:
    smsc = Smsc(SimulatorConfig(port=0, receipt_delay=0.05))
    await smsc.start()
    return smsc


async def test_sigkill_mid_run_loses_nothing_and_charges_once(tmp_path: Path) -> None:
    """SIGKILL while messages are being delivered, restart on the same database: every id_sms
    the client got is final (delivered), so is every stored message; the ledger debited each
    accepted part exactly once and refunded nothing; at most the in-flight window (claimed,
    not yet recorded) was submitted a second time."""
    db = tmp_path / "crash.db"
    url = await prepare_database(db)
    smsc = await start_smsc()
    env = {"SMSRELAY_LEASE_SECONDS": LEASE, "SMSRELAY_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT)}
    numbers = phones(CRASH_MESSAGES)
    batches = [numbers[i : i + PER_REQUEST] for i in range(0, len(numbers), PER_REQUEST)]
    received: list[int] = []
    unanswered = 0
    servers: list[Serve] = []
    try:
        first = await Serve.start(tmp_path, url, smsc.port, 1, **env)
        servers.append(first)
        base = {"url": first.base_url}
        restarted = asyncio.Event()

        async def load(http: httpx.AsyncClient) -> None:
            nonlocal unanswered
            while batches:
                batch = batches.pop(0)
                try:
                    received.extend(await post_bulk(http, base["url"], batch))
                except httpx.HTTPError:
                    unanswered += 1  # in flight when the process died: no id was given
                    await restarted.wait()

        async with httpx.AsyncClient(timeout=60.0) as http:
            loaders = [asyncio.create_task(load(http)) for _ in range(4)]
            await smsc.wait_for(lambda s: s.counters.accepted >= CRASH_MESSAGES // 3, within=300)
            first.kill()
            submitted_before = smsc.counters.accepted
            second = await Serve.start(tmp_path, url, smsc.port, 2, **env)
            servers.append(second)
            base["url"] = second.base_url
            restarted.set()
            await asyncio.gather(*loaders)
            await wait_all_final(db, within=300)
            assert 0 == await second.terminate()
    finally:
        for server in servers:
            server.reap()
        await smsc.stop()

    stored = {int(r[0]): str(r[1]) for r in query(db, "SELECT id, status FROM messages")}
    assert set(received) <= set(stored)
    assert {"delivered"} == set(stored.values())
    charged = -int(
        query(db, "SELECT coalesce(sum(amount_micros), 0) FROM ledger WHERE kind = 'charge'")[0][0]
    )  # type: ignore[arg-type]
    owed = int(query(db, "SELECT sum(parts * price_micros) FROM messages")[0][0])  # type: ignore[arg-type]
    refunds = query(db, "SELECT count(*) FROM ledger WHERE kind = 'refund'")[0][0]
    assert (owed, 0) == (charged, refunds)
    twice_by_carrier = smsc.counters.accepted - len(stored)  # one part each, all accepted
    twice_by_db = int(query(db, "SELECT count(*) FROM messages WHERE attempts > 1")[0][0])  # type: ignore[arg-type]
    print(
        f"\nSIGKILL run: {CRASH_MESSAGES} sent, {len(received)} ids received, "
        f"{len(stored)} stored, {unanswered} requests unanswered, killed after "
        f"{submitted_before} submits; resubmitted: {twice_by_carrier} (carrier), "
        f"{twice_by_db} (attempts > 1)"
    )
    assert 0 <= twice_by_carrier <= MAX_IN_FLIGHT
    assert twice_by_db <= MAX_IN_FLIGHT


async def test_sigterm_drains_in_flight_submits_unbinds_and_exits_0(tmp_path: Path) -> None:
    """SIGTERM while submit_sm responses are held by the carrier: the API stops, the engine
    claims nothing more, waits for the held responses, records them, unbinds, exits 0; no
    message is left ``submitting``."""
    db = tmp_path / "term.db"
    url = await prepare_database(db)
    smsc = await start_smsc()
    serve: Serve | None = None
    try:
        serve = await Serve.start(tmp_path, url, smsc.port, 1)
        async with httpx.AsyncClient(timeout=30.0) as http:
            smsc.hold_responses()
            ids = await post_bulk(http, serve.base_url, phones(300))
            await smsc.wait_for(lambda s: s.held >= 50, within=30)
            serve.proc.send_signal(signal.SIGTERM)
            while True:  # until the API has stopped taking work (a subprocess: bounded poll)
                try:
                    await post_bulk(http, serve.base_url, phones(1, 9000))
                except httpx.HTTPError:
                    break
                await asyncio.sleep(0.05)
            held = smsc.held
            smsc.release_responses()
            assert 0 == await serve.terminate()
        assert 1 == smsc.counters.unbinds
    finally:
        if serve is not None:
            serve.reap()
        await smsc.stop()
    rows = dict(query(db, "SELECT id, status FROM messages"))
    statuses = {s: list(rows.values()).count(s) for s in set(rows.values())}
    print(f"\nSIGTERM: {held} responses held at the signal; statuses after exit: {statuses}")
    assert "submitting" not in statuses
    assert all(rows[i] in ("submitted", "delivered") for i in ids)
    assert held <= sum(1 for i in ids if rows[i] != "queued")
