"""A failover after an UNDELIV receipt is a new submit attempt: compliance is checked again
(issue 9). A number stop-listed while its first attempt was out is not sent to the next
connector; the UNDELIV stands and the reason is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from e2e.conftest import start_platform
from smsrelay.domain.status import MessageStatus
from smsrelay.services.stoplist import StopAction
from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.store.schema_compliance import delivery_refusals

from .test_integration import Env, _account

UNDELIV = "79001239001"  # every simulator answers UNDELIV


@pytest.fixture
async def slow_env(tmp_path: Path) -> AsyncIterator[Env]:
    """Connector a's receipts come a second after the submit: time to change the STOP list."""
    a = Smsc(SimulatorConfig(port=0, receipt_delay=1.0))
    b = Smsc(SimulatorConfig(port=0, receipt_delay=0.0))
    await a.start()
    await b.start()
    try:
        async for p in start_platform(f"sqlite:///{tmp_path / 'routing.db'}", tmp_path):
            await _account(p, "alice")
            yield Env(p, a, b)
    finally:
        await a.stop()
        await b.stop()


async def test_failover_checks_the_stop_list_again(slow_env: Env) -> None:
    """Sent via a; stop-listed before a's UNDELIV: b never sees it, the message ends
    ``undelivered`` (a took its part: no refund) and ``stop_list`` is stored."""
    env = slow_env
    await env.connector("a", env.a)
    await env.connector("b", env.b)
    await env.admin.add_route("7", ["a", "b"], failover_on_undeliv=True)
    await env.apply()
    sent = await env.send("alice", UNDELIV)
    record = await env.p.runtime.stores.accounts.find_by_login("alice")
    assert record is not None
    stop_list = env.p.runtime.extras["xml_data"].stop_list
    await stop_list.change(record.account, [(StopAction.ADD, UNDELIV)])
    assert {sent: MessageStatus.UNDELIVERED} == await env.p.waiter.final([sent])
    assert (1, 0) == (env.a.counters.submits, env.b.counters.submits)
    async with env.p.runtime.stores.db.read() as conn:
        reason = await conn.scalar(
            select(delivery_refusals.c.reason).where(delivery_refusals.c.message_id == sent)
        )
    assert "stop_list" == reason
