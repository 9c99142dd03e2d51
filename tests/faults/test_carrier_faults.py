"""Under each carrier fault the simulator injects, the engine keeps going: every message
reaches ``delivered``, none is lost, each part is charged exactly once, nothing is refunded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from e2e.conftest import Platform
from smsrelay.domain.status import MessageStatus
from smsrelay.simulator.faults import FaultPlan, MalformedKind
from smsrelay.store.schema import message_parts

from .conftest import assert_all_delivered, phones, send_bulk, smsc_of

pytestmark = pytest.mark.faults

LONG = "Long message, three parts. " * 15  # 405 GSM characters: 3 parts of 153


async def send_mix(platform: Platform, count: int, first: int = 0) -> list[int]:
    """``count`` one-part and ``count // 4`` three-part messages."""
    ids = await send_bulk(platform, "acme", phones(count, first), "Your code is 1234")
    ids += await send_bulk(platform, "acme", phones(count // 4, first + 50_000), LONG)
    return ids


async def final_advancing(platform: Platform, ids: list[int], rounds: int = 30) -> None:
    """Await every id final, moving the platform's clock past the engine's retry delay
    whenever the remaining ones wait for it (messages given back by the connector)."""
    engine = platform.runtime.engine
    assert engine is not None
    for _ in range(rounds):
        try:
            await platform.waiter.final(ids, timeout=1.0)
            return
        except TimeoutError:
            platform.clock.advance(6.0)
            engine.wake()
    await platform.waiter.final(ids, timeout=1.0)


async def test_throttling_share_is_retried_on_the_link(platform: Platform) -> None:
    """A quarter of submits answered ESME_RTHROTTLED: the connector pauses and retries them."""
    await platform.account("acme", balance="1000", any_sender=True)
    smsc_of(platform).set_faults(FaultPlan(throttle=0.25))
    ids = await send_mix(platform, 120)
    await assert_all_delivered(platform, "acme", ids, "1000")
    assert smsc_of(platform).faults.counters.throttled >= 40


async def test_temporary_errors_are_retried_later(platform: Platform) -> None:
    """A fifth of submits answered ESME_RSYSERR: one-part messages go back to the queue and
    are sent again after the retry delay; a refused part of a long message is retried at
    once (its accepted siblings are not sent twice)."""
    await platform.account("acme", balance="1000", any_sender=True)
    smsc_of(platform).set_faults(FaultPlan(temp_error=0.2))
    ids = await send_mix(platform, 120)
    await final_advancing(platform, ids)
    await assert_all_delivered(platform, "acme", ids, "1000")
    assert smsc_of(platform).faults.counters.temp_errors >= 40


async def test_responses_late_past_the_timeout_are_resubmitted(platform: Platform) -> None:
    """A tenth of submit_sm_resp come 3 s late (the connector waits 0.5 s): the part is
    RETRY, sent again, and delivered once in our books; the stray late receipt is ignored."""
    await platform.account("acme", balance="1000", any_sender=True)
    smsc_of(platform).set_faults(FaultPlan(delay=0.1, delay_seconds=3.0))
    ids = await send_mix(platform, 40)
    await final_advancing(platform, ids)
    await assert_all_delivered(platform, "acme", ids, "1000")
    assert smsc_of(platform).faults.counters.delayed >= 4


async def test_receipts_before_the_response_and_twice(platform: Platform) -> None:
    """Every receipt overtakes its submit_sm_resp and comes twice: the engine keeps the early
    ones until the submit is recorded; the duplicate changes nothing."""
    await platform.account("acme", balance="1000", any_sender=True)
    smsc_of(platform).set_faults(FaultPlan(receipt_first=True, duplicate_receipts=True))
    ids = await send_mix(platform, 80)
    books = await assert_all_delivered(platform, "acme", ids, "1000")
    counters = smsc_of(platform).faults.counters
    parts = 80 + 20 * 3
    assert (parts, parts) == (counters.receipts_first, counters.duplicate_receipts)
    assert {MessageStatus.DELIVERED: 100} == books.statuses
    async with platform.runtime.stores.db.read() as conn:
        rows = (await conn.execute(select(message_parts.c.carrier_id, message_parts.c.state))).all()
    assert (parts, parts, {"delivered"}) == (
        len(rows),
        len({r.carrier_id for r in rows}),
        {r.state for r in rows},
    )  # each part its own carrier id and receipt


async def test_receipts_for_unknown_ids_are_harmless(platform: Platform) -> None:
    """Half the submits are followed by a receipt for an id never issued: kept a while as
    unmatched, they never touch a message."""
    await platform.account("acme", balance="1000", any_sender=True)
    smsc_of(platform).set_faults(FaultPlan(unknown_receipts=0.5))
    ids = await send_mix(platform, 80)
    await assert_all_delivered(platform, "acme", ids, "1000")
    assert smsc_of(platform).faults.counters.unknown_receipts >= 60


async def test_garbage_pdus_are_nacked_and_the_link_stays(platform: Platform) -> None:
    """A PDU with an unknown command_id after a twentieth of submits: answered generic_nack,
    the link stays up (fewer than the 10 bad PDUs a link tolerates), nothing is lost."""
    await platform.account("acme", balance="1000", any_sender=True)
    smsc_of(platform).set_faults(FaultPlan(malformed=0.05, malformed_kind=MalformedKind.GARBAGE))
    ids = await send_mix(platform, 80)
    await assert_all_delivered(platform, "acme", ids, "1000")
    assert 7 == smsc_of(platform).faults.counters.malformed  # 140 parts / 20
    assert 0 == platform.runtime.connectors[0].stats()["reconnects"]


async def test_bad_command_length_drops_the_link_and_it_recovers(platform: Platform) -> None:
    """A command_length below 16 after a twentieth of submits: framing is lost, the connector
    drops the link, reconnects and resends what was in flight."""
    await platform.account("acme", balance="1000", any_sender=True)
    smsc_of(platform).set_faults(FaultPlan(malformed=0.05, malformed_kind=MalformedKind.LENGTH))
    ids = await send_mix(platform, 80)
    await final_advancing(platform, ids)
    await assert_all_delivered(platform, "acme", ids, "1000")
    assert platform.runtime.connectors[0].stats()["reconnects"] >= 1


async def test_link_dropped_every_few_hundred_ms(platform: Platform) -> None:
    """The simulator cuts the TCP link every 0.2 s while messages flow: the connector
    reconnects, parts in flight are resent, receipts waiting for a receiver follow it."""
    await platform.account("acme", balance="1000", any_sender=True)
    smsc = smsc_of(platform)
    smsc.set_faults(FaultPlan(drop_every=0.2))
    ids = await send_mix(platform, 80)
    await smsc.wait_for(lambda s: s.faults.counters.drops >= 2, within=5.0)
    ids += await send_mix(platform, 80, first=1000)
    await final_advancing(platform, ids)
    smsc.set_faults(FaultPlan())
    await assert_all_delivered(platform, "acme", ids, "1000")
    assert smsc.faults.counters.drops >= 2
