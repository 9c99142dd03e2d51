"""Shared pieces for the SMPP tests: a simulator on port 0, sinks that can be awaited, a
connector factory and a raw client that speaks bytes (so it can also misbehave)."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest

from smsrelay.clock import Clock, SystemClock
from smsrelay.delivery.ports import InboundSms, OutboundPart, Receipt
from smsrelay.delivery.smpp_connector import SmppConnector, SmppConnectorConfig
from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.smpp import Pdu, decode, encode
from smsrelay.text import Encoding
from smsrelay.text import encode as encode_text


@pytest.fixture
async def smsc() -> AsyncIterator[Smsc]:
    sim = Smsc(SimulatorConfig(port=0, receipt_delay=0.0))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


class Sinks:
    """Collects receipts and MO messages; ``await wait(n)`` until n of a kind arrived."""

    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self.inbound: list[InboundSms] = []
        self._changed = asyncio.Event()

    def receipt(self, receipt: Receipt) -> None:
        self.receipts.append(receipt)
        if receipt.ack is not None:
            receipt.ack()  # "stored": the deliver_sm_resp goes out now
        self._changed.set()

    def mo(self, sms: InboundSms) -> None:
        self.inbound.append(sms)
        self._changed.set()

    async def wait(self, predicate: Callable[[Sinks], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
def sinks() -> Sinks:
    return Sinks()


@asynccontextmanager
async def running_connector(
    port: int, sinks: Sinks, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[SmppConnector]:
    settings: dict[str, Any] = {
        "name": "sim",
        "host": "127.0.0.1",
        "port": port,
        "system_id": "smsrelay",
        "password": "smsrelay",
        "reconnect_min": 0.01,
        "reconnect_max": 0.05,
        "throttle_backoff": 0.01,
        "response_timeout": 5.0,
        **overrides,
    }
    wait = settings.pop("wait_ready", True)
    connector = SmppConnector(
        SmppConnectorConfig(**settings), sinks.receipt, sinks.mo, clock or SystemClock()
    )
    await connector.start()
    try:
        if wait:
            async with asyncio.timeout(5):
                await connector.wait_ready()
        yield connector
    finally:
        await connector.stop()


def part(
    destination: str = "79990001122",
    text: str = "hello",
    *,
    message_id: int = 1,
    part_no: int = 1,
    total_parts: int = 1,
    **extra: Any,
) -> OutboundPart:
    encoding = extra.pop("encoding", Encoding.GSM7)
    return OutboundPart(
        message_id=message_id,
        part_no=part_no,
        total_parts=total_parts,
        ref=extra.pop("ref", 7),
        source=extra.pop("source", "ACME"),
        destination=destination,
        encoding=encoding,
        payload=extra.pop("payload", None) or encode_text(text, encoding),
        **extra,
    )


class RawClient:
    """A socket speaking SMPP bytes with no session rules (to test the simulator's)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, pdu: Pdu | bytes) -> None:
        self.writer.write(pdu if isinstance(pdu, bytes) else encode(pdu))
        await self.writer.drain()

    async def recv(self) -> Pdu:
        async with asyncio.timeout(5):
            header = await self.reader.readexactly(16)
            (length,) = struct.unpack(">I", header[:4])
            return decode(header + await self.reader.readexactly(length - 16))

    async def closed_by_peer(self) -> bool:
        async with asyncio.timeout(5):
            return await self.reader.read() == b""

    async def call(self, pdu: Pdu | bytes) -> Pdu:
        await self.send(pdu)
        return await self.recv()


@asynccontextmanager
async def raw_client(port: int) -> AsyncIterator[RawClient]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield RawClient(reader, writer)
    finally:
        writer.close()
        with suppress(OSError):
            await writer.wait_closed()
