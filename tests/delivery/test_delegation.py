"""Claim at acceptance across processes (delivery/delegation.py): worker 0 lends its engine's
slots to an HTTP-only process over a real unix socket; the messages that process claimed come
back to the engine; credit is bounded, revoked when the engine cannot take messages, and
given back when the process goes away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from smsrelay.delivery.delegation import (
    CreditHandoff,
    CreditLender,
    decode_messages,
    encode_messages,
)
from smsrelay.domain.messages import Channel, MessageKind, OutboundMessage
from smsrelay.domain.money import Money


class Engine:
    """The lender's view of worker 0's engine: slots, reserved and taken."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.reserved = 0
        self.taken: list[OutboundMessage] = []
        self.ready = True
        self.changed = asyncio.Event()

    def reserve(self, wanted: int) -> int:
        granted = max(0, min(wanted, self.slots - self.reserved - len(self.taken)))
        self.reserved += granted
        return granted

    def take(self, messages: Sequence[OutboundMessage], granted: int, queued: int) -> None:
        self.reserved -= granted
        self.taken.extend(messages)
        self.changed.set()

    def release(self, granted: int) -> None:
        self.reserved -= granted
        self.changed.set()

    def takes_handoffs(self) -> bool:
        return self.ready


def message(mid: int, **over: Any) -> OutboundMessage:
    base = OutboundMessage(
        id=mid,
        account_id=7,
        phone="79990000001",
        sender="Shop",
        text="привет, мир",
        parts=1,
        channel=Channel.SMS,
        kind=MessageKind.SMS,
        valid_until=datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
        attempts=1,
        price=Money(3_500_000),
        extra={"name_delivery": "Шлюз"},
        due_at=datetime(2026, 12, 6, 3, 0, 0, 123456, tzinfo=UTC),
    )
    return replace(base, **over)


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not check():  # noqa: ASYNC110 - the state of two socket ends
            await asyncio.sleep(0.005)  # another task's socket I/O, not time


def test_messages_survive_the_wire_exactly() -> None:
    sent = [message(1), message(2, due_at=None, extra={}, text="x" * 500, parts=4)]
    back = decode_messages(encode_messages(sent))
    assert back == sent
    assert [m.due_at for m in back] == [m.due_at for m in sent]


@given(st.text(max_size=300), st.text(max_size=20), st.integers(0, 10**12))
def test_any_text_and_price_round_trip(text: str, sender: str, micros: int) -> None:
    sent = [message(9, text=text, sender=sender, price=Money(micros))]
    assert decode_messages(encode_messages(sent)) == sent


async def test_credit_lent_used_and_messages_reach_the_engine(tmp_path: Path) -> None:
    engine = Engine(slots=100)
    lender = CreditLender(tmp_path / "credit.sock", engine, share=10, tick=0.01)
    wakes: list[int] = []
    child = CreditHandoff(tmp_path / "credit.sock", lambda: wakes.append(1), lease=15)
    await lender.start()
    await child.start()
    try:
        await until(lambda: child.reserve(0) == 0 and engine.reserved == 10)
        granted = child.reserve(25)  # bounded by the share
        assert granted == 10
        child.take([message(i) for i in range(1, 11)], granted, queued=15)
        assert wakes == [1]  # the 15 stored queued wake worker 0
        await until(lambda: len(engine.taken) == 10)
        assert [m.id for m in engine.taken] == list(range(1, 11))
        # topped up again once the messages arrived
        await until(lambda: engine.reserved == 10)
        assert child.reserve(3) == 3
        child.release(3)  # the transaction failed: the credit is the child's again
        assert child.reserve(10) == 10
        child.release(10)
    finally:
        await child.stop()
        await lender.stop()
    assert engine.reserved == 0


async def test_revoked_when_the_engine_cannot_take_and_given_back(tmp_path: Path) -> None:
    engine = Engine(slots=100)
    lender = CreditLender(tmp_path / "credit.sock", engine, share=8, tick=0.01)
    child = CreditHandoff(tmp_path / "credit.sock", lambda: None, lease=15)
    await lender.start()
    await child.start()
    try:
        await until(lambda: engine.reserved == 8)
        await until(lambda: child.reserve(1) == 1)
        child.release(1)
        engine.ready = False  # e.g. the carrier link dropped
        await until(lambda: engine.reserved == 0)
        assert child.reserve(5) == 0
        engine.ready = True
        await until(lambda: engine.reserved == 8)
    finally:
        await child.stop()
        await lender.stop()


async def test_a_child_that_goes_away_gives_its_credit_back(tmp_path: Path) -> None:
    engine = Engine(slots=100)
    lender = CreditLender(tmp_path / "credit.sock", engine, share=8, tick=0.01)
    child = CreditHandoff(tmp_path / "credit.sock", lambda: None, lease=15)
    await lender.start()
    await child.start()
    try:
        await until(lambda: engine.reserved == 8)
        await child.stop()
        await until(lambda: engine.reserved == 0)
    finally:
        await lender.stop()


async def test_without_a_lender_nothing_is_granted_and_claims_are_counted(tmp_path: Path) -> None:
    child = CreditHandoff(tmp_path / "absent.sock", lambda: None, lease=15)
    await child.start()
    try:
        assert child.reserve(10) == 0
        assert child.lease == timedelta(seconds=15)
        child.take([message(1)], 1, 0)  # committed as claimed: its lease moves it on
        assert child.stranded == 1
    finally:
        await child.stop()
