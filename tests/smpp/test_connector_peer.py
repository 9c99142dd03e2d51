"""The connector's manners towards an SMSC that sends it things: a scripted server that
speaks raw SMPP bytes over a loopback socket checks each answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from smsrelay.smpp import CommandId, CommandStatus, Pdu

from .conftest import RawClient, Sinks, running_connector

C = CommandId
S = CommandStatus


class ScriptedSmsc:
    """Accepts connections and hands each, already bound, to the test through a queue."""

    def __init__(self) -> None:
        self.clients: asyncio.Queue[RawClient] = asyncio.Queue()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = RawClient(reader, writer)
        bind = await client.recv()
        await client.send(bind.response(S.ESME_ROK, (), system_id="scripted"))
        await self.clients.put(client)

    async def next_client(self) -> RawClient:
        async with asyncio.timeout(5):
            return await self.clients.get()


@asynccontextmanager
async def scripted() -> AsyncIterator[ScriptedSmsc]:
    smsc = ScriptedSmsc()
    server = await asyncio.start_server(smsc._accept, "127.0.0.1", 0)
    smsc.port = server.sockets[0].getsockname()[1]
    try:
        yield smsc
    finally:
        server.close()
        while not smsc.clients.empty():
            smsc.clients.get_nowait().writer.close()
        await server.wait_closed()


async def test_answers_enquire_link_garbage_deliver_and_unbind(sinks: Sinks) -> None:
    """enquire_link -> resp; unknown command -> generic_nack; deliver_sm -> resp; unbind -> resp."""
    async with scripted() as smsc, running_connector(smsc.port, sinks):
        peer = await smsc.next_client()
        link = await peer.call(Pdu.enquire_link(100))
        nack = await peer.call(bytes.fromhex("00000010 00000077 00000000 00000065"))
        mo = Pdu.deliver_sm(
            sequence=102, source_addr="7999", destination_addr="ACME", short_message=b"hi"
        )
        ack = await peer.call(mo)
        unbind = await peer.call(Pdu.unbind(103))
        closed = await peer.closed_by_peer()
        peer.writer.close()
        again = await smsc.next_client()  # the connector comes back
        again.writer.close()
    assert (C.ENQUIRE_LINK_RESP, 100) == (link.command, link.sequence)
    assert (C.GENERIC_NACK, S.ESME_RINVCMDID, 101) == (nack.command, nack.status, nack.sequence)
    assert (C.DELIVER_SM_RESP, S.ESME_ROK, 102) == (ack.command, ack.status, ack.sequence)
    assert (C.UNBIND_RESP, 103, True) == (unbind.command, unbind.sequence, closed)
    assert ["hi"] == [m.text for m in sinks.inbound]


async def test_a_receipt_that_cannot_be_read_is_still_acknowledged(sinks: Sinks) -> None:
    """A receipt with no id is answered with deliver_sm_resp and reported to nobody."""
    async with scripted() as smsc, running_connector(smsc.port, sinks):
        peer = await smsc.next_client()
        ack = await peer.call(
            Pdu.deliver_sm(sequence=5, esm_class=0x04, short_message=b"stat:DELIVRD")
        )
        peer.writer.close()
    assert (C.DELIVER_SM_RESP, S.ESME_ROK, []) == (ack.command, ack.status, sinks.receipts)


async def test_sink_failure_does_not_break_the_link(sinks: Sinks) -> None:
    """If on_inbound raises, the MO is still acknowledged and the link keeps working."""

    def broken(_: object) -> None:
        raise RuntimeError("sink is down")

    sinks.mo = broken  # type: ignore[method-assign, assignment]
    async with scripted() as smsc, running_connector(smsc.port, sinks) as connector:
        peer = await smsc.next_client()
        mo = Pdu.deliver_sm(sequence=7, source_addr="1", destination_addr="2", short_message=b"x")
        ack = await peer.call(mo)
        link = await peer.call(Pdu.enquire_link(8))
        ready = connector.ready
        peer.writer.close()
    assert (S.ESME_ROK, C.ENQUIRE_LINK_RESP, True) == (ack.status, link.command, ready)
