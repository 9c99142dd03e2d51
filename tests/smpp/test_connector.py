"""The SMPP connector against the simulator over real loopback sockets."""

from __future__ import annotations

import asyncio

import pytest

from smsrelay.clock import FakeClock
from smsrelay.delivery.ports import SubmitStatus
from smsrelay.delivery.smpp_connector import LinkState
from smsrelay.domain.status import PartState
from smsrelay.simulator.smsc import Smsc
from smsrelay.text import Encoding, split

from .conftest import Sinks, part, running_connector


async def test_bind_submit_and_receipt(smsc: Smsc, sinks: Sinks) -> None:
    """A part is accepted with the carrier's id and its DELIVRD receipt names that id."""
    async with running_connector(smsc.port, sinks) as connector:
        outcome = await connector.submit(part())
        await sinks.wait(lambda s: len(s.receipts) == 1)
    receipt = sinks.receipts[0]
    assert (SubmitStatus.ACCEPTED, True) == (outcome.status, bool(outcome.carrier_id))
    assert (outcome.carrier_id, PartState.DELIVERED, "sim") == (
        receipt.carrier_ids[0],
        receipt.state,
        receipt.connector,
    )


MAGIC = [
    ("79999999001", SubmitStatus.ACCEPTED, PartState.UNDELIVERED),
    ("79999999002", SubmitStatus.ACCEPTED, PartState.EXPIRED),
    ("79999999003", SubmitStatus.REJECTED, None),
    ("79999999004", SubmitStatus.ACCEPTED, None),
    ("79999999005", SubmitStatus.ACCEPTED, PartState.DELIVERED),
    ("79990001122", SubmitStatus.ACCEPTED, PartState.DELIVERED),
]


@pytest.mark.parametrize(("destination", "status", "state"), MAGIC)
async def test_outcome_and_receipt_for_every_magic_number(
    smsc: Smsc, sinks: Sinks, destination: str, status: SubmitStatus, state: PartState | None
) -> None:
    """Each magic destination gives its documented outcome and receipt state (or none)."""
    async with running_connector(smsc.port, sinks) as connector:
        outcome = await connector.submit(part(destination))
        marker = await connector.submit(part("79990000000", message_id=2))  # a receipt after it
        await sinks.wait(
            lambda s: marker.carrier_id in s.receipts[-1].carrier_ids if s.receipts else False
        )
    states = [r.state for r in sinks.receipts if outcome.carrier_id in r.carrier_ids]
    assert (status, [state] if state else []) == (outcome.status, states)


async def test_rejection_carries_the_status(smsc: Smsc, sinks: Sinks) -> None:
    """A refused part says which SMPP status refused it."""
    async with running_connector(smsc.port, sinks) as connector:
        outcome = await connector.submit(part("79999999003"))
    assert (SubmitStatus.REJECTED, "ESME_RINVDSTADR (0x0000000B)") == (
        outcome.status,
        outcome.detail,
    )


async def test_throttled_part_is_retried_by_the_connector(smsc: Smsc, sinks: Sinks) -> None:
    """9005: the connector backs off after ESME_RTHROTTLED and resubmits the part itself."""
    async with running_connector(smsc.port, sinks) as connector:
        outcome = await connector.submit(part("79999999005"))
        stats = connector.stats()
    assert (SubmitStatus.ACCEPTED, 1, 2, 1) == (
        outcome.status,
        stats["throttled"],
        smsc.counters.submits,
        smsc.counters.throttled,
    )


async def test_throttling_without_end_gives_retry(smsc: Smsc, sinks: Sinks) -> None:
    """With no throttle retries allowed, ESME_RTHROTTLED becomes RETRY for the engine."""
    async with running_connector(smsc.port, sinks, max_throttle_retries=0) as connector:
        outcome = await connector.submit(part("79999999005"))
    assert (SubmitStatus.RETRY, "ESME_RTHROTTLED (0x00000058)") == (outcome.status, outcome.detail)


async def test_window_is_never_exceeded(smsc: Smsc, sinks: Sinks) -> None:
    """With window 5, the simulator never sees more than 5 unanswered submit_sm."""
    smsc.hold_responses()
    async with running_connector(smsc.port, sinks, window=5) as connector:
        tasks = [asyncio.create_task(connector.submit(part(message_id=i))) for i in range(20)]
        await smsc.wait_for(lambda s: s.held == 5)
        for _ in range(20):
            await asyncio.sleep(0)  # let any excess submit reach the simulator
        held = smsc.held
        smsc.release_responses()
        outcomes = await asyncio.gather(*tasks)
    assert (5, 5, 20) == (held, smsc.counters.max_unanswered, smsc.counters.accepted)
    assert {SubmitStatus.ACCEPTED} == {o.status for o in outcomes}


async def test_parts_in_flight_are_resubmitted_after_reconnect(smsc: Smsc, sinks: Sinks) -> None:
    """The link drops with 3 parts unanswered: after the reconnect they are sent again."""
    smsc.hold_responses()
    async with running_connector(smsc.port, sinks) as connector:
        tasks = [asyncio.create_task(connector.submit(part(message_id=i))) for i in range(3)]
        await smsc.wait_for(lambda s: s.held == 3)
        smsc.drop_connections()
        smsc.release_responses()
        outcomes = await asyncio.gather(*tasks)
        stats = connector.stats()
    assert {SubmitStatus.ACCEPTED} == {o.status for o in outcomes}
    assert (3, 6, 2) == (stats["resubmitted"], smsc.counters.submits, smsc.counters.binds)
    assert stats["reconnects"] >= 1


async def test_graceful_stop_waits_for_responses_then_unbinds(smsc: Smsc, sinks: Sinks) -> None:
    """stop() lets in-flight parts finish, refuses new ones, unbinds and closes."""
    smsc.hold_responses()
    async with running_connector(smsc.port, sinks) as connector:
        tasks = [asyncio.create_task(connector.submit(part(message_id=i))) for i in range(2)]
        await smsc.wait_for(lambda s: s.held == 2)
        stopping = asyncio.create_task(connector.stop())
        await asyncio.sleep(0)
        late = await connector.submit(part(message_id=9))
        ready_while_stopping = connector.ready
        smsc.release_responses()
        await stopping
        outcomes = await asyncio.gather(*tasks)
    assert {SubmitStatus.ACCEPTED} == {o.status for o in outcomes}
    assert (SubmitStatus.RETRY, False, LinkState.STOPPED) == (
        late.status,
        ready_while_stopping,
        connector.state,
    )
    await smsc.wait_for(lambda s: s.counters.unbinds == 1 and not s.connections)


async def test_stop_while_the_link_is_down_retries_waiting_parts(sinks: Sinks) -> None:
    """With nothing to connect to, a waiting submit answers RETRY once the connector stops."""
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with running_connector(port, sinks, wait_ready=False) as connector:
        waiting = asyncio.create_task(connector.submit(part()))
        await asyncio.sleep(0)
        await connector.stop()
        outcome = await waiting
    assert (SubmitStatus.RETRY, False) == (outcome.status, connector.ready)


async def test_mo_reaches_on_inbound(smsc: Smsc, sinks: Sinks) -> None:
    """An injected MO message, short or long and Cyrillic, arrives whole at on_inbound."""
    long_text = "Привет, мир! " * 12
    async with running_connector(smsc.port, sinks):
        await smsc.inject_mo("79990001122", "ACME", "hello")
        await smsc.inject_mo("79990003344", "5555", long_text)
        await sinks.wait(lambda s: len(s.inbound) == 2)
    got = [(m.source, m.destination, m.text) for m in sinks.inbound]
    assert [("79990001122", "ACME", "hello"), ("79990003344", "5555", long_text)] == got


async def test_concatenated_parts_each_get_a_receipt(smsc: Smsc, sinks: Sinks) -> None:
    """A three-part message (8-bit UDH) gets three accepted parts and three receipts."""
    seg = split("x" * 400, Encoding.GSM7)
    parts = [
        part(payload=p, part_no=i, total_parts=len(seg.parts), ref=300)
        for i, p in enumerate(seg.parts, 1)
    ]
    async with running_connector(smsc.port, sinks) as connector:
        outcomes = await asyncio.gather(*(connector.submit(p) for p in parts))
        await sinks.wait(lambda s: len(s.receipts) == 3)
    assert {o.carrier_id for o in outcomes} == {r.carrier_ids[0] for r in sinks.receipts}


async def test_wrong_password_keeps_retrying_with_backoff(smsc: Smsc, sinks: Sinks) -> None:
    """A refused bind is not ready and is retried (with backoff) until stopped."""
    async with running_connector(smsc.port, sinks, password="bad", wait_ready=False) as connector:
        await smsc.wait_for(lambda s: s.counters.bind_failures >= 2)
        ready = connector.ready
    assert (False, True) == (ready, connector.stats()["reconnects"] >= 1)


async def test_response_timeout_gives_retry(smsc: Smsc, sinks: Sinks) -> None:
    """No response within response_timeout (on the injected clock) -> RETRY."""
    clock = FakeClock()
    smsc.hold_responses()
    async with running_connector(smsc.port, sinks, clock, response_timeout=0.2) as connector:
        task = asyncio.create_task(connector.submit(part()))
        await smsc.wait_for(lambda s: s.held == 1)
        clock.advance(0.2)
        outcome = await task
        smsc.release_responses()
    assert (SubmitStatus.RETRY, 1) == (outcome.status, connector.stats()["timeouts"])


async def test_enquire_link_after_silence(smsc: Smsc, sinks: Sinks) -> None:
    """Once enquire_link_interval passes with nothing received, the connector sends one."""
    clock = FakeClock()
    async with running_connector(smsc.port, sinks, clock, enquire_link_interval=0.2):
        clock.advance(0.2)
        await smsc.wait_for(lambda s: s.counters.enquire_links >= 1)


async def test_high_rate(smsc: Smsc, sinks: Sinks) -> None:
    """Two thousand parts through a window of 100 all come back accepted with receipts."""
    async with running_connector(smsc.port, sinks, window=100) as connector:
        outcomes = await asyncio.gather(
            *(connector.submit(part(message_id=i)) for i in range(2000))
        )
        await sinks.wait(lambda s: len(s.receipts) == 2000)
    assert ({SubmitStatus.ACCEPTED}, 2000) == (
        {o.status for o in outcomes},
        len({o.carrier_id for o in outcomes}),
    )


async def test_throughput_limit_paces_parts(smsc: Smsc, sinks: Sinks) -> None:
    """At 100 parts/s (burst 100), 120 parts cannot all go out in under 0.15 s."""
    loop = asyncio.get_running_loop()
    async with running_connector(smsc.port, sinks, throughput=100.0, window=50) as connector:
        started = loop.time()
        outcomes = await asyncio.gather(*(connector.submit(part(message_id=i)) for i in range(120)))
        elapsed = loop.time() - started
    assert ({SubmitStatus.ACCEPTED}, True) == ({o.status for o in outcomes}, elapsed >= 0.15)
