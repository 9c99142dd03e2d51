"""A receipt is acknowledged to the carrier (deliver_sm_resp) only once its sink stored it: a
receipt the platform took but never stored (a crash) comes again on the next bind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from smsrelay.clock import SystemClock
from smsrelay.delivery.ports import InboundSms, OutboundPart, Receipt, SubmitStatus
from smsrelay.delivery.smpp_connector import SmppConnector, SmppConnectorConfig
from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.text import Encoding, encode

pytestmark = pytest.mark.faults


class HoldingSink:
    """Keeps receipts without acknowledging them until told to."""

    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self.arrived = asyncio.Event()

    def receipt(self, receipt: Receipt) -> None:
        self.receipts.append(receipt)
        self.arrived.set()

    def mo(self, sms: InboundSms) -> None:
        raise AssertionError("no MO expected")

    async def wait_count(self, n: int) -> None:
        async with asyncio.timeout(5):
            while len(self.receipts) < n:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def smsc() -> AsyncIterator[Smsc]:
    server = Smsc(SimulatorConfig(port=0, receipt_delay=0.0))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def connector_for(smsc: Smsc, sink: HoldingSink) -> SmppConnector:
    config = SmppConnectorConfig(
        name="sim",
        host="127.0.0.1",
        port=smsc.port,
        system_id="smsrelay",
        password="smsrelay",
        reconnect_min=0.01,
        reconnect_max=0.05,
    )
    return SmppConnector(config, sink.receipt, sink.mo, SystemClock())


def one_part(message_id: int) -> OutboundPart:
    return OutboundPart(
        message_id=message_id,
        part_no=1,
        total_parts=1,
        ref=1,
        source="ACME",
        destination="79990001122",
        encoding=Encoding.GSM7,
        payload=encode("hello", Encoding.GSM7),
    )


async def test_receipt_is_acknowledged_only_when_the_sink_says_so(smsc: Smsc) -> None:
    """The deliver_sm_resp of a receipt goes out when the sink calls ``ack``, not before."""
    sink = HoldingSink()
    connector = connector_for(smsc, sink)
    await connector.start()
    try:
        outcome = await connector.submit(one_part(1))
        assert SubmitStatus.ACCEPTED == outcome.status
        await sink.wait_count(1)
        assert 0 == smsc.counters.receipts_acked
        ack = sink.receipts[0].ack
        assert ack is not None
        ack()
        await smsc.wait_for(lambda s: s.counters.receipts_acked == 1)
    finally:
        await connector.stop()


async def test_unacknowledged_receipt_comes_again_after_the_link_drops(smsc: Smsc) -> None:
    """The platform took a receipt but died before storing it: the carrier sends it again
    on the next bind, and that one, acknowledged, is the last."""
    sink = HoldingSink()
    connector = connector_for(smsc, sink)
    await connector.start()
    try:
        outcome = await connector.submit(one_part(2))
        await sink.wait_count(1)
        smsc.drop_connections()
        await sink.wait_count(2)
        first, again = sink.receipts
        assert (outcome.carrier_id,) * 2 == (first.carrier_ids[0], again.carrier_ids[0])
        assert again.ack is not None
        again.ack()
        await smsc.wait_for(lambda s: s.counters.receipts_acked == 1)
    finally:
        await connector.stop()
