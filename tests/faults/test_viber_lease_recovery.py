"""Viber claims on the short lease too: while ``serve`` lives it renews the leases of the Viber
messages it is sending; after a SIGKILL, with the provider holding every send, the messages it
had claimed move on to a second process within about one lease (15 s) instead of five minutes.
All end delivered, each charged once, and no more were sent twice than were in flight."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from smsrelay.domain.money import Money
from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.simulator.viber import ViberSimulator, ViberSimulatorConfig

from .processes import TOKEN, Serve, prepare_database, query, until, wait_all_final

pytestmark = pytest.mark.faults

LEASE = 15.0  # the default lease_seconds
SLACK = 10.0  # the second process's start and its first claims, on a busy machine
MESSAGES = 120
MAX_IN_FLIGHT = 200  # the Viber dispatcher's default
VIBER_PRICE = "0.40"


def _submitting(db: Path) -> dict[int, str]:
    rows = query(db, "SELECT id, lease_until FROM messages WHERE status = 'submitting'")
    return {int(r[0]): str(r[1]) for r in rows}


def _one(db: Path, sql: str) -> int:
    return int(query(db, sql)[0][0] or 0)


async def test_sigkill_viber_claims_move_on_within_one_lease(tmp_path: Path) -> None:
    db = tmp_path / "viber-lease.db"
    url = await prepare_database(db, viber_price=VIBER_PRICE)
    before = _one(db, "SELECT balance_micros FROM accounts WHERE login = 'load'")
    smsc = Smsc(SimulatorConfig(port=0, receipt_delay=0.05))
    viber = ViberSimulator(ViberSimulatorConfig(port=0, token="smsrelay", callback_delay=0.0))
    await smsc.start()
    await viber.start()
    env = {"SMSRELAY_VIBER_URL": viber.url}
    servers: list[Serve] = []
    try:
        first = await Serve.start(tmp_path, url, smsc.port, 1, **env)
        servers.append(first)
        viber.hold_sends()
        phones = [f"7900{n:07d}" for n in range(MESSAGES)]
        body = {
            "token": TOKEN,
            "message": [
                {
                    "type_send_1": "viber",
                    "sender_viber": "Shop",
                    "text_viber": "Your order is ready",
                    "phones": [{"phone": p} for p in phones],
                }
            ],
        }
        async with httpx.AsyncClient(timeout=30.0) as http:
            r = await http.post(f"{first.base_url}/json", json=body)
        r.raise_for_status()
        info = r.json()["information"]
        assert all(e.get("state") == "send" for e in info), info[:3]
        await until(lambda: viber.held >= 20, "the provider holding sends", within=60)
        claimed = _submitting(db)
        assert 0 < len(claimed) <= MAX_IN_FLIGHT
        await until(
            lambda: any(v > claimed[k] for k, v in _submitting(db).items() if k in claimed),
            "a heartbeat renewing the held Viber leases",
            within=LEASE,
        )
        first.kill()
        killed_at = time.monotonic()
        held = set(_submitting(db))
        viber.release_sends()  # the dead process's sends are answered into closed sockets
        second = await Serve.start(tmp_path, url, smsc.port, 2, **env)
        servers.append(second)
        await until(
            lambda: (
                not (held & set(_submitting(db)))
                or all(
                    _one(db, f"SELECT attempts FROM messages WHERE id = {i}") > 1
                    for i in held & set(_submitting(db))
                )
            ),
            "the dead process's Viber messages claimed again",
            within=LEASE + SLACK + 30,
        )
        moved_on = time.monotonic() - killed_at
        await wait_all_final(db, within=120)
        assert 0 == await second.terminate()
    finally:
        for server in servers:
            server.reap()
        await viber.stop()
        await smsc.stop()
    statuses = {str(r[0]) for r in query(db, "SELECT DISTINCT status FROM messages")}
    twice = _one(db, "SELECT count(*) FROM messages WHERE attempts > 1")
    after = _one(db, "SELECT balance_micros FROM accounts WHERE login = 'load'")
    refunds = _one(db, "SELECT count(*) FROM ledger WHERE kind = 'refund'")
    print(
        f"\nViber lease recovery: {len(held)} messages held at SIGKILL moved on after "
        f"{moved_on:.1f} s (lease {LEASE:g} s); sent twice: {twice}"
    )
    assert {"delivered"} == statuses
    assert moved_on <= LEASE + SLACK
    assert twice <= MAX_IN_FLIGHT
    assert (before - after, 0) == (MESSAGES * Money.parse(VIBER_PRICE).micros, refunds)
