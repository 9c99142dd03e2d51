"""Scheduling and validity, end to end through the simulator, with the platform's clock moved
instead of waiting: nothing reaches the carrier before ``time_send``; a message whose validity
ends first expires, refunded; one the carrier took and never reported expires, charged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from e2e.conftest import Platform
from smsrelay.domain.status import MessageStatus
from smsrelay.services.localtime import to_local

from .conftest import books, smsc_of

pytestmark = pytest.mark.faults


def local(platform: Platform, hours: float) -> str:
    """The account's wall-clock time ``hours`` from the platform's now (spec §1.6 format)."""
    at = to_local(platform.clock.now() + timedelta(hours=hours), None)
    return at.strftime("%Y-%m-%d %H:%M:%S")


async def tick(platform: Platform) -> None:
    engine = platform.runtime.engine
    assert engine is not None
    await engine.tick()


async def test_scheduled_message_waits_for_time_send(platform: Platform) -> None:
    """``time_send`` an hour ahead: the carrier sees nothing until the clock passes it; then
    the message is submitted and delivered, charged once."""
    await platform.account("sched", balance="10", any_sender=True)
    info = await platform.send("sched", "79001230000", time_send=local(platform, 1))
    await tick(platform)
    assert "send" == (await platform.state("sched", info["id_sms"]))["state"]
    assert 0 == smsc_of(platform).counters.submits
    platform.clock.advance(3601)
    await tick(platform)
    final = await platform.waiter.final([info["id_sms"]])
    assert {info["id_sms"]: MessageStatus.DELIVERED} == final
    assert 1 == smsc_of(platform).counters.submits
    assert "9" == (await platform.balance("sched"))["money"]


async def test_validity_ending_before_time_send_expires_unsent_and_refunds(
    platform: Platform,
) -> None:
    """Validity ends before ``time_send``: the message never reaches the carrier, it expires
    and its price comes back."""
    await platform.account("late", balance="10", any_sender=True)
    info = await platform.send(
        "late",
        "79001230000",
        "x" * 200,
        time_send=local(platform, 2),
        validity_period=local(platform, 1),
    )
    platform.clock.advance(3 * 3600)
    await tick(platform)
    assert {info["id_sms"]: MessageStatus.EXPIRED} == await platform.waiter.final([info["id_sms"]])
    assert 0 == smsc_of(platform).counters.submits
    b = await books(platform, "late")
    assert (2_000_000, 2_000_000) == (b.charged_micros, b.refunded_micros)
    assert "10" == (await platform.balance("late"))["money"]


async def test_parts_without_receipts_expire_at_validity_and_stay_charged(
    platform: Platform,
) -> None:
    """A 3-part message the carrier took but never reported (``…9004``): ``send`` until its
    own validity period ends, then ``expired``; the carrier took it, so no refund."""
    await platform.account("silent", balance="10", any_sender=True)
    info = await platform.send(
        "silent", "79001239004", "y" * 400, validity_period=local(platform, 1)
    )
    await smsc_of(platform).wait_for(lambda s: s.counters.accepted >= 3)
    await tick(platform)
    assert "send" == (await platform.state("silent", info["id_sms"]))["state"]
    platform.clock.advance(3601)
    await tick(platform)
    assert {info["id_sms"]: MessageStatus.EXPIRED} == await platform.waiter.final([info["id_sms"]])
    assert "7" == (await platform.balance("silent"))["money"]
