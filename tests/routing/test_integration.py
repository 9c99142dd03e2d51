"""Routing through TWO simulator SMSCs on loopback: routes by prefix and account, priority,
failover (SMSC down, retryable errors), per-route charge, flow control in parts, slow SMSCs,
and configuration changes applied to a running platform."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from e2e.conftest import Platform, start_platform
from smsrelay.delivery.supervisor import RoutingSupervisor
from smsrelay.domain.accounts import Lang
from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.services.ports import StatusChange
from smsrelay.services.routing import ConnectorSpec, RoutingAdmin
from smsrelay.simulator.faults import FaultPlan
from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.store.schema import message_parts, messages

DELIVERED = MessageStatus.DELIVERED


@dataclass
class Env:
    p: Platform
    a: Smsc
    b: Smsc

    @property
    def admin(self) -> RoutingAdmin:
        admin: RoutingAdmin = self.p.runtime.extras["routing_admin"]
        return admin

    @property
    def supervisor(self) -> RoutingSupervisor:
        sup: RoutingSupervisor = self.p.runtime.extras["routing"]
        return sup

    async def connector(self, name: str, smsc: Smsc, **kw: Any) -> None:
        cfg = smsc.config
        await self.admin.add_connector(
            ConnectorSpec(name, "127.0.0.1", smsc.port, cfg.system_id, cfg.password, **kw)
        )

    async def apply(self) -> None:
        """Apply the stored configuration now and wait until every connector is bound."""
        await self.supervisor.reload()
        for c in self.p.runtime.connectors:
            if c.name in ("a", "b"):
                await asyncio.wait_for(c.wait_ready(), 5)

    async def send(self, login: str, phone: str, text: str = "hello") -> int:
        info = await self.p.send(login, phone, text)
        return int(info["id_sms"])

    async def send_many(self, login: str, phones: list[str], text: str = "hello") -> list[int]:
        """One request to several numbers (accepted together, claimed together)."""
        body = {
            **self.p.creds[login],
            "message": [
                {
                    "type_send_1": "sms",
                    "sender": "Shop",
                    "text": text,
                    "phones": [{"phone": phone} for phone in phones],
                }
            ],
        }
        answer = await self.p.post("/json", body)
        return [int(i["id_sms"]) for i in answer["information"]]

    async def delivered(self, *ids: int) -> None:
        assert dict.fromkeys(ids, DELIVERED) == await self.p.waiter.final(ids)

    async def part_connectors(self, id_sms: int) -> set[str]:
        """The connectors the message's parts are tracked on (where their receipts come from)."""
        query = select(message_parts.c.connector).where(message_parts.c.message_id == id_sms)
        async with self.p.runtime.stores.db.read() as conn:
            return set(await conn.scalars(query))

    async def connector_of(self, id_sms: int) -> str:
        async with self.p.runtime.stores.db.read() as conn:
            return str(
                await conn.scalar(select(messages.c.connector).where(messages.c.id == id_sms))
            )


async def _account(p: Platform, login: str) -> None:
    """An account that authenticates by token (no password hashing: keeps the tests fast)."""
    token = f"token-{login}"
    await p.runtime.stores.accounts.create(
        login=login,
        password_hash="unused",
        token=token,
        balance=Money.parse("100"),
        lang=Lang.RU,
        any_sender=True,
        parent_id=None,
        now=p.clock.now(),
    )
    p.creds[login] = {"token": token}


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    a = Smsc(SimulatorConfig(port=0, receipt_delay=0.0))
    b = Smsc(SimulatorConfig(port=0, receipt_delay=0.0))
    await a.start()
    await b.start()
    try:
        async for p in start_platform(f"sqlite:///{tmp_path / 'routing.db'}", tmp_path):
            for login in ("alice", "bob"):
                await _account(p, login)
            yield Env(p, a, b)
    finally:
        await a.stop()
        await b.stop()


async def test_routes_by_prefix_account_and_priority(env: Env) -> None:
    """7… goes to a (first by priority), 380… to b, and bob's own 7… route to b."""
    await env.connector("a", env.a)
    await env.connector("b", env.b)
    await env.admin.add_route("7", ["a", "b"])
    await env.admin.add_route("380", ["b"])
    await env.admin.add_route("7", ["b"], account="bob")
    await env.apply()
    ru = await env.send("alice", "79001230001")
    ua = await env.send("alice", "380501230001")
    bob = await env.send("bob", "79001230002")
    await env.delivered(ru, ua, bob)
    assert ["a", "b", "b"] == [await env.connector_of(i) for i in (ru, ua, bob)]
    assert (1, 2) == (env.a.counters.accepted, env.b.counters.accepted)


async def test_failover_when_the_first_smsc_is_down(env: Env) -> None:
    """With a's SMSC stopped, a's route falls over to b; nothing is lost."""
    await env.connector("a", env.a)
    await env.connector("b", env.b)
    await env.admin.add_route("7", ["a", "b"])
    await env.apply()
    await env.a.stop()
    ids = [await env.send("alice", f"7900123{n:04d}") for n in range(5)]
    await env.delivered(*ids)
    assert ["b"] * 5 == [await env.connector_of(i) for i in ids]
    assert 5 == env.b.counters.accepted


async def test_failover_on_retryable_submit_errors(env: Env) -> None:
    """a answers ESME_RSYSERR (temporary) to every submit: the message goes through b at once."""
    await env.connector("a", env.a)
    await env.connector("b", env.b)
    await env.admin.add_route("7", ["a", "b"])
    await env.apply()
    env.a.set_faults(FaultPlan(temp_error=1.0))
    sent = await env.send("alice", "79001230003", "x" * 200)  # two parts
    await env.delivered(sent)
    assert "b" == await env.connector_of(sent)
    assert (0, 2) == (env.a.counters.accepted, env.b.counters.accepted)


async def test_charge_follows_the_route_actually_used(env: Env) -> None:
    """List price 1.00; b's route price 0.40: a message that went out via b costs 0.40 per part."""
    await env.connector("a", env.a)
    await env.connector("b", env.b)
    await env.admin.add_route("7", ["a", "b"])
    await env.admin.set_route_price("b", "7", Money.parse("0.40"))
    await env.admin.set_route_price("a", "7", Money.parse("1.00"))
    await env.apply()
    await env.a.stop()
    sent = await env.send("alice", "79001230004", "y" * 200)  # two parts
    await env.delivered(sent)
    # the repricing is written before the submit outcome, so before any receipt applies
    assert "99.2" == (await env.p.balance("alice"))["money"]
    assert 0.4 == (await env.p.state("alice", sent, detail=1))["price"]


async def test_connector_throughput_is_counted_in_parts(env: Env) -> None:
    """A 5 parts/s connector: ten 2-part messages wait (20 - 5 burst) / 5 = 3 s in all, in
    reservations of 0.4 s per message; measured on recorded waits, no sleeping."""
    await env.connector("a", env.a, throughput=5.0)
    await env.admin.add_route("7", ["a"])
    await env.apply()
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    env.supervisor.flow.sleep = record
    ids = await env.send_many("alice", [f"790012{n:05d}" for n in range(10)], "z" * 200)
    await env.delivered(*ids)
    assert 8 == len(waits)  # the first two fit the burst of 5 parts
    assert 2.9 < max(waits) <= 3.0


async def test_account_limit_delays_in_parts(env: Env) -> None:
    """alice is limited to 2 parts/s: her third one-part message waits, bob is not limited."""
    await env.connector("a", env.a)
    await env.admin.add_route("", ["a"])
    await env.admin.set_limit("alice", 2.0)
    await env.apply()
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    env.supervisor.flow.sleep = record
    ids = await env.send_many("alice", [f"7900123{n:04d}" for n in range(3)])
    ids.append(await env.send("bob", "79001239999"))
    await env.delivered(*ids)
    assert 1 == len(waits)
    assert 0.4 < waits[0] <= 0.5


async def test_a_slow_smsc_never_stalls_another_connector(env: Env) -> None:
    """a holds every response; b's messages are delivered meanwhile, a's once it answers."""
    await env.connector("a", env.a)
    await env.connector("b", env.b)
    await env.admin.add_route("7", ["a"])
    await env.admin.add_route("380", ["b"])
    await env.apply()
    env.a.hold_responses()
    slow = [await env.send("alice", f"7900123{n:04d}") for n in range(3)]
    await env.a.wait_for(lambda s: s.held == 3)
    fast = await env.send("alice", "380501230005")
    await env.delivered(fast)
    env.a.release_responses()
    await env.delivered(*slow)


async def test_configuration_changes_apply_to_a_running_platform(env: Env) -> None:
    """Default simulator first; then a connector and a route are added while running; then
    removed again, and the default connector is back."""
    first = await env.send("alice", "79001230006")
    await env.delivered(first)
    assert "simulator" == await env.connector_of(first)
    await env.connector("a", env.a)
    await env.admin.add_route("", ["a"])
    await env.apply()
    second = await env.send("alice", "79001230007")
    await env.delivered(second)
    assert "a" == await env.connector_of(second)
    await env.admin.remove_route("")
    await env.admin.remove_connector("a")
    assert await env.supervisor.reload()
    assert [] == [c for c in env.p.runtime.connectors if c.name == "a"]
    third = await env.send("alice", "79001230008")
    await env.delivered(third)
    assert "simulator" == await env.connector_of(third)


async def test_encoding_per_connector(env: Env) -> None:
    """A Latin-1 connector gets "ê" text as data_coding 3 in one part, not UCS2 in two."""
    await env.connector("a", env.a, encoding="latin1")
    await env.admin.add_route("", ["a"])
    await env.apply()
    sent = await env.send("alice", "79001230009", "ê" * 100)
    await env.delivered(sent)
    assert [3] == [pdu.int_param("data_coding") for pdu in env.a.submitted]


async def test_failover_on_undeliv_tries_each_connector_once(env: Env) -> None:
    """A failover_on_undeliv route: UNDELIV via a sends the message again via b; b's UNDELIV
    then stands (each connector is tried once). Without the flag a's UNDELIV stands."""
    await env.connector("a", env.a)
    await env.connector("b", env.b)
    await env.admin.add_route("7", ["a", "b"], failover_on_undeliv=True)
    await env.admin.add_route("380", ["a", "b"])
    await env.apply()
    twice = await env.send("alice", "79001239001")  # ...9001: every carrier says UNDELIV
    once = await env.send("alice", "380501239001")
    expected = {twice: MessageStatus.UNDELIVERED, once: MessageStatus.UNDELIVERED}
    assert expected == await env.p.waiter.final([twice, once])
    assert {"b"} == await env.part_connectors(twice)
    assert {"a"} == await env.part_connectors(once)
    assert (2, 1) == (env.a.counters.accepted, env.b.counters.accepted)


async def test_a_running_platform_polls_for_changes(env: Env) -> None:
    """A change made through the store alone (as the CLI does) is picked up by the poller."""
    env.supervisor.interval = 0.05
    await env.connector("a", env.a)
    await env.admin.add_route("", ["a"])
    target = (await env.admin.config()).version
    async with asyncio.timeout(5):
        while env.supervisor.version != target:
            env.supervisor.applied.clear()
            await env.supervisor.applied.wait()
    [bind] = [c for c in env.p.runtime.connectors if c.name == "a"]
    await asyncio.wait_for(bind.wait_ready(), 5)
    sent = await env.send("alice", "79001230010")
    await env.delivered(sent)
    assert "a" == await env.connector_of(sent)


async def test_a_long_limit_wait_goes_back_to_the_queue(env: Env) -> None:
    """alice at 1 part/s sends four messages at once: the first two go (the second after 1 s),
    the others would wait longer and go back to the queue instead of holding in-flight slots;
    they are sent once their time comes (again one part per second)."""
    await env.connector("a", env.a)
    await env.admin.add_route("", ["a"])
    await env.admin.set_limit("alice", 1.0)
    await env.apply()
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    env.supervisor.flow.sleep = record
    requeued: set[int] = set()
    two_back = asyncio.Event()

    def listen(changes: Sequence[StatusChange]) -> None:
        requeued.update(c.message_id for c in changes if c.status is MessageStatus.QUEUED)
        if len(requeued) >= 2:
            two_back.set()

    assert env.p.runtime.engine is not None
    env.p.runtime.engine.add_listener(listen)
    ids = await env.send_many("alice", [f"7900123{n:04d}" for n in range(4)])
    await asyncio.wait_for(two_back.wait(), 5)
    assert set(ids[2:]) == requeued
    env.p.clock.advance(10)
    await env.delivered(*ids)
    assert 2 == len(waits)  # the second message, then the fourth (one part per second)
    assert all(0.9 < w <= 1.0 for w in waits)
