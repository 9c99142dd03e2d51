"""Short leases kept alive by a heartbeat: while ``serve`` lives its claims are renewed; after a
SIGKILL the messages it had claimed move on to another process within about one lease (15 s)
instead of sitting in ``submitting`` for minutes, and no more are submitted twice than were in
flight."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from smsrelay.simulator.smsc import SimulatorConfig, Smsc

from .conftest import phones
from .processes import Serve, post_bulk, prepare_database, query, until, wait_all_final

pytestmark = pytest.mark.faults

LEASE = 15.0  # the default lease_seconds
MAX_IN_FLIGHT = 100
SLACK = 10.0  # the second process's start and its first claims, on a busy machine


def _leases(db: Path, ids: list[int]) -> dict[int, str]:
    marks = ",".join("?" * len(ids))
    rows = query(
        db,
        f"SELECT id, lease_until FROM messages WHERE status = 'submitting' AND id IN ({marks})",
        *ids,
    )
    return {int(r[0]): str(r[1]) for r in rows}


async def test_sigkill_claims_move_on_within_one_lease(tmp_path: Path) -> None:
    """The carrier holds every submit_sm response; the live process renews the leases of the
    messages it holds (heartbeat); SIGKILL; a second process on the same database submits the
    dead one's messages within lease + slack; all end delivered; at most the in-flight window
    was submitted twice."""
    db = tmp_path / "lease.db"
    url = await prepare_database(db)
    smsc = Smsc(SimulatorConfig(port=0, receipt_delay=0.05))
    await smsc.start()
    env = {"SMSRELAY_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT)}
    servers: list[Serve] = []
    try:
        first = await Serve.start(tmp_path, url, smsc.port, 1, **env)
        servers.append(first)
        smsc.hold_responses()
        async with httpx.AsyncClient(timeout=30.0) as http:
            ids = await post_bulk(http, first.base_url, phones(300))
        await smsc.wait_for(lambda s: s.held >= 50, within=60)
        claimed = _leases(db, ids)
        assert 0 < len(claimed) <= MAX_IN_FLIGHT
        await until(
            lambda: any(v > claimed[k] for k, v in _leases(db, list(claimed)).items()),
            "a heartbeat renewing the held leases",
            within=LEASE,
        )
        first.kill()
        killed_at = time.monotonic()
        held = list(_leases(db, ids))
        smsc.release_responses()
        second = await Serve.start(tmp_path, url, smsc.port, 2, **env)
        servers.append(second)
        await until(
            lambda: (
                not _leases(db, held)
                or all(
                    int(query(db, "SELECT attempts FROM messages WHERE id = ?", i)[0][0]) > 1
                    for i in _leases(db, held)
                )
            ),
            "the dead process's messages claimed again",
            within=LEASE + SLACK + 30,
        )
        moved_on = time.monotonic() - killed_at
        await wait_all_final(db, within=120)
        assert 0 == await second.terminate()
    finally:
        for server in servers:
            server.reap()
        await smsc.stop()
    statuses = {str(r[0]) for r in query(db, "SELECT DISTINCT status FROM messages")}
    twice = int(query(db, "SELECT count(*) FROM messages WHERE attempts > 1")[0][0])
    print(
        f"\nlease recovery: {len(held)} messages held at SIGKILL moved on after "
        f"{moved_on:.1f} s (lease {LEASE:g} s); submitted twice: {twice}"
    )
    assert {"delivered"} == statuses
    assert moved_on <= LEASE + SLACK
    assert twice <= MAX_IN_FLIGHT
