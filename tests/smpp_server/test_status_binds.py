"""``smsrelay status`` lists the customer SMPP binds (``customer_binds`` in ``/status.json``):
account, address, bind type, since and the outstanding deliver_sm window."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.cli.operations import format_status
from smsrelay.smpp import CommandStatus

from .conftest import Customer, give_smpp, smpp_server


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(f"sqlite:///{tmp_path / 'smsrelay.db'}", tmp_path):
        yield p


async def test_a_bound_customer_shows_in_status_json_and_the_table(platform: Platform) -> None:
    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    server = smpp_server(platform)
    assert [] == (await platform.http.get("/status.json")).json()["customer_binds"]
    customer = await Customer.connect(server.port)
    try:
        assert CommandStatus.ESME_ROK == (await customer.bind("acme", kind="trx")).status
        status = (await platform.http.get("/status.json")).json()
        binds = status["customer_binds"]
        assert 1 == len(binds)
        bind = binds[0]
        assert ("acme", "127.0.0.1", "trx", 0, server.settings.window, True) == (
            bind["account"],
            bind["address"],
            bind["bind_type"],
            bind["outstanding"],
            bind["window"],
            bind["this_process"],
        )
        assert bind["since"].startswith(platform.clock.now().date().isoformat())
        table = format_status(status)
        assert "customer SMPP binds: 1" in table
        row = next(line for line in table.splitlines() if line.startswith("acme "))
        assert ["acme", "127.0.0.1", "trx"] == row.split()[:3]
        assert row.endswith(f"0/{server.settings.window}")
    finally:
        await customer.close()


async def test_without_a_server_status_lists_the_stored_binds(platform: Platform) -> None:
    """No server answers at the address: the binds come from the database (window unknown)."""
    from operations.test_ready_metrics_status import _closed_port
    from operations.test_support_cli import cli

    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    customer = await Customer.connect(smpp_server(platform).port)
    try:
        assert CommandStatus.ESME_ROK == (await customer.bind("acme", kind="rx")).status
        db = platform.runtime.settings.database_url
        url = f"http://127.0.0.1:{_closed_port()}"
        doc = json.loads(await cli(db, "status", "--json", "--url", url, "--timeout", "1"))
        assert [("acme", "127.0.0.1", "rx", None, False)] == [
            (b["account"], b["address"], b["bind_type"], b["window"], b["this_process"])
            for b in doc["customer_binds"]
        ]
    finally:
        await customer.close()
