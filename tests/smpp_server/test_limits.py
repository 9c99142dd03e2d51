"""Limits: throughput, idle binds, kicks by the operator; long-message orphans (unit)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.smpp import CommandStatus, Pdu
from smsrelay.smpp_server.messages import Part, Refused, Submitted
from smsrelay.smpp_server.parts import PartAssembler
from smsrelay.store.smpp_server import SqlSmppServerStore

from .conftest import Customer, give_smpp, smpp_server
from .test_processes import other_instance

S = CommandStatus


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(f"sqlite:///{tmp_path / 'smsrelay.db'}", tmp_path):
        yield p


async def test_over_throughput_is_throttled_and_not_charged(platform: Platform) -> None:
    """With 3 msg/s, a burst of 8 submit_sm gets 3 accepted and the rest ESME_RTHROTTLED;
    only the accepted ones are charged."""
    await platform.account("acme", balance="100", any_sender=True)
    await give_smpp(platform, "acme", throughput=3)
    c = await Customer.connect(smpp_server(platform).port)
    try:
        assert S.ESME_ROK == (await c.bind("acme")).status
        answers = await asyncio.gather(*(c.submit("79990001122") for _ in range(8)))
    finally:
        await c.close()
    statuses = sorted(a.status for a in answers)
    assert [S.ESME_ROK] * 3 + [S.ESME_RTHROTTLED] * 5 == statuses
    assert "97" == (await platform.balance("acme"))["money"]


async def test_idle_bind_is_closed_and_kick_closes_binds(platform: Platform) -> None:
    """A bind that sends nothing for idle_timeout is closed; `smpp kick` closes an account's
    binds (with an unbind first) on the process holding them."""
    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    async with other_instance(platform, idle_timeout=0.5) as idle_server:
        idle = await Customer.connect(idle_server.port)
        assert S.ESME_ROK == (await idle.bind("acme")).status
        await asyncio.wait_for(idle.closed.wait(), 10)
        await idle.close()
    c = await Customer.connect(smpp_server(platform).port)
    try:
        assert S.ESME_ROK == (await c.bind("acme")).status
        assert S.ESME_ROK == (await c.request(Pdu.enquire_link(1))).status
        assert 1 == await SqlSmppServerStore(platform.runtime.stores.db).kick("acme")
        await asyncio.wait_for(c.closed.wait(), 10)
    finally:
        await c.close()


def _part(seq: int, total: int = 3, ref: int = 1) -> Submitted:
    body = f"p{seq}".encode()
    return Submitted("Shop", "7999", 0, "", Part(ref, total, seq, body), None, None, "")


def test_parts_reassemble_in_any_order_and_orphans_expire() -> None:
    """Parts complete in any order; an incomplete message is dropped after the timeout (and
    counted); the cap on incomplete messages answers ESME_RMSGQFUL."""
    parts = PartAssembler(timeout=60.0, max_pending=2)
    assert parts.add(1, _part(3), 0.0) is None
    assert parts.add(1, _part(1), 1.0) is None
    whole = parts.add(1, _part(2), 2.0)
    assert isinstance(whole, Submitted)
    assert "p1p2p3" == whole.text
    assert parts.add(1, _part(1, ref=5), 10.0) is None
    assert parts.add(2, _part(1, ref=5), 10.0) is None  # another account: another message
    full = parts.add(3, _part(1, ref=5), 11.0)
    assert isinstance(full, Refused) and S.ESME_RMSGQFUL == full.status
    assert 2 == parts.expire(70.0)
    assert (0, 2) == (len(parts), parts.dropped)
    assert parts.add(1, _part(2, ref=5), 71.0) is None  # its sibling is gone: a new wait


def test_relative_and_absolute_times_are_read() -> None:
    """schedule_delivery_time and validity_period in both SMPP formats (§7.1.1)."""
    from smsrelay.smpp_server.messages import read_submit

    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    pdu = Pdu.submit_sm(
        sequence=1,
        source_addr="Shop",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="79990001122",
        short_message=b"hi",
        schedule_delivery_time="261205150000004+",  # 15:00 at UTC+1 = 14:00 UTC
        validity_period="000001000000000R",  # one day after now
    )
    message = read_submit(pdu, now)
    assert isinstance(message, Submitted)
    assert datetime(2026, 12, 5, 14, 0, tzinfo=UTC) == message.time_send
    assert datetime(2026, 12, 6, 12, 0, tzinfo=UTC) == message.valid_until


async def test_receipts_on_failure_only(platform: Platform) -> None:
    """registered_delivery=2 asks for failure receipts only: a delivered message sends none,
    an undelivered one (the simulator's ...9001) sends UNDELIV; registered_delivery=0 none."""
    from smsrelay.smpp import parse_receipt_text

    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    c = await Customer.connect(smpp_server(platform).port)
    try:
        assert S.ESME_ROK == (await c.bind("acme")).status
        ok = await c.submit("79990001122", registered_delivery=2)
        none = await c.submit("79990001133", registered_delivery=0)
        bad = await c.submit("79990009001", registered_delivery=2)
        ids = [int(r.str_param("message_id")) for r in (ok, none, bad)]
        await platform.waiter.final(ids)
        receipt = await c.next_delivered()
        assert (bad.str_param("message_id"), "UNDELIV") == (
            parse_receipt_text(receipt.bytes_param("short_message")).id,
            parse_receipt_text(receipt.bytes_param("short_message")).stat,
        )
        assert S.ESME_ROK == (await c.request(Pdu.enquire_link(1))).status
        assert c.delivered.empty()
    finally:
        await c.close()
