"""Interoperability with independent SMPP implementations: smpplib (pure Python, blocking,
run in a thread) and smpp34 (Rust core, asyncio), on real loopback sockets, plus each side
decoding what the other encodes."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import smpp34
import smpplib.client  # type: ignore[import-untyped]
import smpplib.consts  # type: ignore[import-untyped]
import smpplib.smpp  # type: ignore[import-untyped]

from smsrelay.delivery.ports import SubmitStatus
from smsrelay.domain.status import PartState
from smsrelay.simulator.smsc import Smsc
from smsrelay.smpp import CommandId, Pdu, Tag, Tlv, decode, encode, tlv_int
from smsrelay.text import Encoding

from .conftest import Sinks, part, running_connector

C = CommandId


def _smpplib_esme(port: int) -> dict[str, Any]:
    """Bind with smpplib, submit one message, read until its receipt, unbind (blocking)."""
    client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
    seen: dict[str, Any] = {"receipts": []}
    client.set_message_sent_handler(lambda pdu: seen.setdefault("message_id", pdu.message_id))
    client.set_message_received_handler(lambda pdu: seen["receipts"].append(pdu))
    client.connect()
    try:
        client.bind_transceiver(system_id="smsrelay", password="smsrelay")
        client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr="ACME",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            destination_addr="79990001122",
            short_message=b"hello from smpplib",
            registered_delivery=True,
        )
        for _ in range(10):
            if seen["receipts"]:
                break
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()
    return seen


async def test_smpplib_client_against_our_simulator(smsc: Smsc) -> None:
    """smpplib binds, submits and receives the receipt naming the id it was given."""
    seen = await asyncio.to_thread(_smpplib_esme, smsc.port)
    receipt = seen["receipts"][0]
    assert (1, 1, 1) == (smsc.counters.binds, smsc.counters.submits, smsc.counters.unbinds)
    assert (seen["message_id"], 2) == (receipt.receipted_message_id, receipt.message_state)
    assert b"stat:DELIVRD" in receipt.short_message


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_our_connector_against_smpp34_server(sinks: Sinks) -> None:
    """Our connector binds to smpp34's SMSC, submits UCS-2, and reads the receipt it sends."""
    port = _free_port()
    server = smpp34.Server("127.0.0.1", port, system_id="carrier")
    await server.start()
    try:
        async with running_connector(
            port, sinks, system_id="me", password="pw", wait_ready=False
        ) as connector:
            async with asyncio.timeout(5):
                esme = await server.next()
                await connector.wait_ready()
                pending = asyncio.create_task(
                    connector.submit(part(encoding=Encoding.UCS2, text="Жук", want_receipt=True))
                )
                event = await server.next()
            assert isinstance(esme, smpp34.Esme) and isinstance(event, smpp34.SubmitSmEvent)
            submitted = (
                event.destination_addr,
                event.short_message,
                event.data_coding,
                event.registered_delivery,
            )
            event.accept("AB12")
            outcome = await pending
            text = (
                b"id:AB12 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 "
                b"stat:DELIVRD err:000 text:"
            )
            resp = await esme.deliver_sm(
                "ACME",
                text,
                source_addr="79990001122",
                esm_class=0x04,
                tlvs=[
                    smpp34.Tlv(Tag.RECEIPTED_MESSAGE_ID, b"AB12\x00"),
                    smpp34.Tlv(Tag.MESSAGE_STATE, b"\x02"),
                ],
            )
            await sinks.wait(lambda s: len(s.receipts) == 1)
    finally:
        await server.stop()
    assert ("79990001122", "Жук".encode("utf-16-be"), 8, 1) == submitted
    assert (SubmitStatus.ACCEPTED, "AB12", 0) == (
        outcome.status,
        outcome.carrier_id,
        resp.command_status,
    )
    assert ("AB12", PartState.DELIVERED) == (
        sinks.receipts[0].carrier_ids[0],
        sinks.receipts[0].state,
    )


async def test_smpp34_client_against_our_simulator(smsc: Smsc) -> None:
    """smpp34's ESME binds to our simulator, submits, and receives the DELIVRD receipt."""
    client = smpp34.Client("127.0.0.1", smsc.port, "smsrelay", "smsrelay", bind_type="TRX")
    async with asyncio.timeout(5):
        session = await client.connect()
        try:
            resp = await session.submit_sm(
                "79990001122", b"hi", source_addr="ACME", registered_delivery=1
            )
            receipt = await session.next()
        finally:
            await session.unbind()
    assert isinstance(receipt, smpp34.DeliverSmEvent)
    tlvs = {t.tag: t for t in receipt.tlvs}
    assert (True, 0x04) == (resp.is_success, receipt.esm_class)
    assert resp.message_id == tlvs[Tag.RECEIPTED_MESSAGE_ID].as_string()


def _smpplib_client() -> smpplib.client.Client:
    return smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)


def test_we_decode_what_smpplib_encodes() -> None:
    """A submit_sm built by smpplib decodes to the same fields here."""
    pdu = smpplib.smpp.make_pdu(
        "submit_sm",
        client=_smpplib_client(),
        source_addr="ACME",
        destination_addr="79990001122",
        short_message=b"hello",
        registered_delivery=1,
        data_coding=8,
        sar_msg_ref_num=7,
        sar_total_segments=2,
        sar_segment_seqnum=1,
    )
    ours = decode(pdu.generate())
    sar = tlv_int(ours.tlv(Tag.SAR_MSG_REF_NUM))  # type: ignore[arg-type]
    assert (C.SUBMIT_SM, "ACME", "79990001122", b"hello", 1, 8, 7) == (
        ours.command,
        ours["source_addr"],
        ours["destination_addr"],
        ours["short_message"],
        ours["registered_delivery"],
        ours["data_coding"],
        sar,
    )


def test_smpplib_decodes_what_we_encode() -> None:
    """A receipt deliver_sm we encode is read by smpplib with the same fields and TLVs."""
    ours = Pdu.deliver_sm(
        sequence=42,
        source_addr="79990001122",
        destination_addr="ACME",
        esm_class=0x04,
        short_message=b"id:5F stat:DELIVRD",
        tlvs=[Tlv.of_str(Tag.RECEIPTED_MESSAGE_ID, "5F"), Tlv.of_int(Tag.MESSAGE_STATE, 2)],
    )
    theirs = smpplib.smpp.parse_pdu(encode(ours), client=_smpplib_client())
    assert ("deliver_sm", 42, b"79990001122", 4, b"5F", 2) == (
        theirs.command,
        theirs.sequence,
        theirs.source_addr,
        theirs.esm_class,
        theirs.receipted_message_id,
        theirs.message_state,
    )


@pytest.mark.parametrize("command", ["submit_sm", "deliver_sm"])
def test_smpp34_and_we_agree_on_bytes(command: str) -> None:
    """The same PDU built by smpp34 and by us encodes to identical bytes, both ways decodable."""
    build = smpp34.SubmitSm if command == "submit_sm" else smpp34.DeliverSm
    theirs = build(
        "ACME",
        "79990001122",
        b"\x05\x00\x03\x01\x02\x01hi",
        esm_class=0x40,
        data_coding=8,
        registered_delivery=1,
        validity_period="260101120000000+",
        tlvs=[smpp34.Tlv(Tag.USER_MESSAGE_REFERENCE, b"\x00\x07")],
        sequence_number=9,
    )
    ours = Pdu.make(
        C.SUBMIT_SM if command == "submit_sm" else C.DELIVER_SM,
        9,
        0,
        [Tlv.of_int(Tag.USER_MESSAGE_REFERENCE, 7)],
        source_addr="ACME",
        destination_addr="79990001122",
        short_message=b"\x05\x00\x03\x01\x02\x01hi",
        esm_class=0x40,
        data_coding=8,
        registered_delivery=1,
        validity_period="260101120000000+",
    )
    back = smpp34.decode(encode(ours))
    assert isinstance(back, smpp34.SubmitSm | smpp34.DeliverSm)
    assert ours == decode(theirs.encode())
    assert (b"\x05\x00\x03\x01\x02\x01hi", 9, "79990001122") == (
        back.short_message,
        back.sequence_number,
        back.destination_addr,
    )
