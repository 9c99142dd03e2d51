"""Two nodes on one database, each holding one of two connectors (docs/scaling.md): a message
is claimed, handed over at acceptance and delivered only by the node running its route's
connector, whichever node accepted it; each carrier sees only its own node's binds. On
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from e2e.conftest import Platform, start_platform
from smsrelay.clock import SystemClock
from smsrelay.domain.accounts import Lang
from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.services.routing import ConnectorSpec, RoutingAdmin
from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.store import Database, SqlAccountStore
from smsrelay.store.connector_leases import SqlConnectorLeases
from smsrelay.store.routing import SqlRoutingStore
from smsrelay.store.schema import message_parts

HOUR = timedelta(hours=1)


async def _configure(url: str, a: Smsc, b: Smsc) -> None:
    """Connectors a and b, 7900… -> a, 7911… -> b; b's lease already node-2's (so that the
    node started first does not take both)."""
    db = await Database.open(url)
    try:
        await db.migrate()
        clock = SystemClock()
        admin = RoutingAdmin(SqlRoutingStore(db), SqlAccountStore(db), clock)
        for name, smsc in (("a", a), ("b", b)):
            cfg = smsc.config
            await admin.add_connector(
                ConnectorSpec(name, "127.0.0.1", smsc.port, cfg.system_id, cfg.password)
            )
        await admin.add_route("7900", ["a"])
        await admin.add_route("7911", ["b"])
        await SqlConnectorLeases(db).acquire(["b"], "node-2", clock.now(), HOUR)
    finally:
        await db.close()


async def _account(p: Platform) -> None:
    await p.runtime.stores.accounts.create(
        login="alice",
        password_hash="unused",
        token="token-alice",
        balance=Money.parse("100"),
        lang=Lang.RU,
        any_sender=True,
        parent_id=None,
        now=p.clock.now(),
    )


async def _send(p: Platform, phones: list[str]) -> list[int]:
    body = {
        "token": "token-alice",
        "message": [
            {
                "type_send_1": "sms",
                "sender": "Shop",
                "text": "hello",
                "phones": [{"phone": phone} for phone in phones],
            }
        ],
    }
    answer = await p.post("/json", body)
    return [int(i["id_sms"]) for i in answer["information"]]


async def _start(url: str, tmp: Path, node: str, stack: AsyncExitStack) -> Platform:
    gen: AsyncIterator[Platform] = start_platform(url, tmp / node, simulator=False, node_id=node)
    (tmp / node).mkdir()
    platform = await gen.__anext__()
    stack.push_async_callback(gen.aclose)
    return platform


async def test_each_node_delivers_only_its_connectors_messages(
    database_url: str, tmp_path: Path
) -> None:
    a = Smsc(SimulatorConfig(port=0, receipt_delay=0.0, max_binds=1))
    b = Smsc(SimulatorConfig(port=0, receipt_delay=0.0, max_binds=1))
    await a.start()
    await b.start()
    try:
        await _configure(database_url, a, b)
        async with AsyncExitStack() as stack:
            one = await _start(database_url, tmp_path, "node-1", stack)
            two = await _start(database_url, tmp_path, "node-2", stack)
            assert one.runtime.ownership is not None and two.runtime.ownership is not None
            assert ({"a"}, {"b"}) == (one.runtime.ownership.owned, two.runtime.ownership.owned)
            await _account(one)
            to_a = await _send(two, [f"7900{n:07d}" for n in range(10)])  # accepted by node-2
            to_b = await _send(one, [f"7911{n:07d}" for n in range(10)])  # accepted by node-1
            delivered = MessageStatus.DELIVERED
            assert dict.fromkeys(to_a, delivered) == await one.waiter.final(to_a)
            assert dict.fromkeys(to_b, delivered) == await two.waiter.final(to_b)
            assert one.runtime.engine is not None and two.runtime.engine is not None
            claimed = (one.runtime.engine.stats["claimed"], two.runtime.engine.stats["claimed"])
            assert (10, 10) == claimed  # nobody claimed the other's, not even to retry
            async with one.runtime.stores.db.read() as conn:
                rows = (
                    await conn.execute(
                        select(message_parts.c.message_id, message_parts.c.connector)
                    )
                ).all()
            parts = {int(m): str(c) for m, c in rows}
            assert {**dict.fromkeys(to_a, "a"), **dict.fromkeys(to_b, "b")} == parts
        assert (10, 10) == (a.counters.accepted, b.counters.accepted)
        assert (0, 0) == (a.counters.bind_failures, b.counters.bind_failures)
    finally:
        await a.stop()
        await b.stop()
