"""The simulated SMSC, driven by a raw client over a real loopback socket."""

from __future__ import annotations

import pytest

from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.smpp import (
    CommandId,
    CommandStatus,
    MessageState,
    Pdu,
    Tag,
    parse_receipt_text,
    tlv_int,
    tlv_str,
)

from .conftest import RawClient, raw_client

C = CommandId
S = CommandStatus


def bind(
    seq: int = 1,
    system_id: str = "smsrelay",
    password: str = "smsrelay",
    command: C = C.BIND_TRANSCEIVER,
) -> Pdu:
    return Pdu.bind(command, sequence=seq, system_id=system_id, password=password)


def submit(
    seq: int, destination: str = "79990001122", registered_delivery: int = 1, **params: object
) -> Pdu:
    return Pdu.submit_sm(
        sequence=seq,
        source_addr="ACME",
        destination_addr=destination,
        short_message=b"hello",
        registered_delivery=registered_delivery,
        **params,  # type: ignore[arg-type]
    )


async def bound(client: RawClient) -> None:
    resp = await client.call(bind())
    assert (C.BIND_TRANSCEIVER_RESP, S.ESME_ROK) == (resp.command, resp.status)


CREDENTIALS = [
    ("smsrelay", "smsrelay", S.ESME_ROK),
    ("other", "smsrelay", S.ESME_RINVSYSID),
    ("smsrelay", "wrong", S.ESME_RINVPASWD),
]


@pytest.mark.parametrize(("system_id", "password", "status"), CREDENTIALS)
async def test_bind_checks_credentials(
    smsc: Smsc, system_id: str, password: str, status: S
) -> None:
    """A bind with an unknown system_id or a wrong password is refused with the matching status."""
    async with raw_client(smsc.port) as client:
        resp = await client.call(bind(system_id=system_id, password=password))
    assert (C.BIND_TRANSCEIVER_RESP, status, "smsrelay-sim") == (
        resp.command,
        resp.status,
        resp["system_id"],
    )


async def test_empty_password_accepts_anyone() -> None:
    """With an empty configured password any system_id and password may bind."""
    sim = Smsc(SimulatorConfig(port=0, password=""))
    await sim.start()
    try:
        async with raw_client(sim.port) as client:
            resp = await client.call(bind(system_id="anyone", password="x"))
    finally:
        await sim.stop()
    assert S.ESME_ROK == resp.status


async def test_three_failed_binds_close_the_connection(smsc: Smsc) -> None:
    """Failed binds are bounded: after the third the simulator hangs up."""
    async with raw_client(smsc.port) as client:
        for seq in (1, 2, 3):
            assert S.ESME_RINVPASWD == (await client.call(bind(seq, password="bad"))).status
        assert await client.closed_by_peer()


async def test_submit_is_answered_with_an_id_and_a_receipt(smsc: Smsc) -> None:
    """submit_sm gets a hex id, then deliver_sm esm_class 0x04 with text and TLVs naming it."""
    async with raw_client(smsc.port) as client:
        await bound(client)
        resp = await client.call(submit(2))
        receipt = await client.recv()
        await client.send(receipt.response())
    message_id = resp.str_param("message_id")
    id_tlv, state_tlv = receipt.tlv(Tag.RECEIPTED_MESSAGE_ID), receipt.tlv(Tag.MESSAGE_STATE)
    assert id_tlv is not None and state_tlv is not None
    text = parse_receipt_text(receipt.bytes_param("short_message"))
    assert (S.ESME_ROK, True) == (resp.status, all(c in "0123456789ABCDEF" for c in message_id))
    assert (C.DELIVER_SM, 0x04, "79990001122", "ACME") == (
        receipt.command,
        receipt["esm_class"],
        receipt["source_addr"],
        receipt["destination_addr"],
    )
    assert (message_id, MessageState.DELIVERED) == (tlv_str(id_tlv), tlv_int(state_tlv))
    assert (message_id, "DELIVRD", "hello") == (text.id, text.stat, text.text)


async def test_decimal_ids() -> None:
    """id_format "decimal" gives decimal message ids."""
    sim = Smsc(SimulatorConfig(port=0, id_format="decimal", receipt_delay=0))  # type: ignore[arg-type]
    await sim.start()
    try:
        async with raw_client(sim.port) as client:
            await bound(client)
            resp = await client.call(submit(2, registered_delivery=0))
    finally:
        await sim.stop()
    assert resp.str_param("message_id").isdigit()


async def test_no_receipt_unless_requested(smsc: Smsc) -> None:
    """registered_delivery 0 means no receipt: the next PDU is the enquire_link answer."""
    async with raw_client(smsc.port) as client:
        await bound(client)
        await client.call(submit(2, registered_delivery=0))
        resp = await client.call(Pdu.enquire_link(3))
    assert (C.ENQUIRE_LINK_RESP, 0) == (resp.command, smsc.counters.receipts_sent)


MAGIC = [
    ("79999999001", S.ESME_ROK, MessageState.UNDELIVERABLE),
    ("79999999002", S.ESME_ROK, MessageState.EXPIRED),
    ("79999999003", S.ESME_RINVDSTADR, None),
    ("79999999004", S.ESME_ROK, None),
    ("79999999005", S.ESME_RTHROTTLED, None),
]


@pytest.mark.parametrize(("destination", "status", "state"), MAGIC)
async def test_magic_destinations(
    smsc: Smsc, destination: str, status: S, state: MessageState | None
) -> None:
    """The last four digits choose the outcome documented in the simulator's docstring."""
    async with raw_client(smsc.port) as client:
        await bound(client)
        resp = await client.call(submit(2, destination))
        follow = await client.call(Pdu.enquire_link(3)) if state is None else await client.recv()
    got = tlv_int(follow.tlv(Tag.MESSAGE_STATE)) if follow.command is C.DELIVER_SM else None  # type: ignore[arg-type]
    assert (status, state) == (resp.status, got)


async def test_throttled_destination_is_accepted_on_the_second_try(smsc: Smsc) -> None:
    """9005: ESME_RTHROTTLED first, then the same message is accepted."""
    async with raw_client(smsc.port) as client:
        await bound(client)
        first = await client.call(submit(2, "79999999005", registered_delivery=0))
        second = await client.call(submit(3, "79999999005", registered_delivery=0))
    assert (S.ESME_RTHROTTLED, S.ESME_ROK) == (first.status, second.status)


async def test_submit_before_bind_is_refused(smsc: Smsc) -> None:
    """A submit_sm on an unbound connection gets ESME_RINVBNDSTS."""
    async with raw_client(smsc.port) as client:
        resp = await client.call(submit(1))
    assert (C.SUBMIT_SM_RESP, S.ESME_RINVBNDSTS) == (resp.command, resp.status)


async def test_control_and_unsupported_commands(smsc: Smsc) -> None:
    """enquire_link is answered; query_sm about an unknown id gets ESME_RQUERYFAIL; unbind is
    answered, then close."""
    async with raw_client(smsc.port) as client:
        await bound(client)
        link = await client.call(Pdu.enquire_link(2))
        query = await client.call(Pdu.make(C.QUERY_SM, 3, message_id="1", source_addr="A"))
        unbind = await client.call(Pdu.unbind(4))
        closed = await client.closed_by_peer()
    assert (C.ENQUIRE_LINK_RESP, S.ESME_RQUERYFAIL, C.UNBIND_RESP, True) == (
        link.command,
        query.status,
        unbind.command,
        closed,
    )


async def test_unknown_commands_get_generic_nack_then_close(smsc: Smsc) -> None:
    """An unknown command_id gets generic_nack ESME_RINVCMDID; past the limit the link closes."""
    unknown = bytes.fromhex("00000010 00000099 00000000 00000007".replace(" ", ""))
    async with raw_client(smsc.port) as client:
        await bound(client)
        nacks = []
        for _ in range(smsc.config.max_bad_pdus + 1):
            nacks.append(await client.call(unknown))
        closed = await client.closed_by_peer()
    assert ({(C.GENERIC_NACK, S.ESME_RINVCMDID, 7)}, True) == (
        {(n.command, n.status, n.sequence) for n in nacks},
        closed,
    )


async def test_oversized_pdu_is_nacked_and_the_link_closed(smsc: Smsc) -> None:
    """A command_length over max_pdu is refused from the header alone, then the link closes."""
    async with raw_client(smsc.port) as client:
        await client.send(bytes.fromhex("00100000 00000004 00000000 00000005".replace(" ", "")))
        nack = await client.recv()
        closed = await client.closed_by_peer()
    assert (C.GENERIC_NACK, S.ESME_RINVCMDLEN, 5, True) == (
        nack.command,
        nack.status,
        nack.sequence,
        closed,
    )


async def test_receipts_of_a_transmitter_go_to_a_receiver(smsc: Smsc) -> None:
    """Receipts for a transmitter bind are delivered to a receiver bound with the same system_id."""
    async with raw_client(smsc.port) as tx, raw_client(smsc.port) as rx:
        assert S.ESME_ROK == (await tx.call(bind(command=C.BIND_TRANSMITTER))).status
        assert S.ESME_ROK == (await rx.call(bind(command=C.BIND_RECEIVER))).status
        resp = await tx.call(submit(2))
        receipt = await rx.recv()
    assert resp["message_id"] == tlv_str(receipt.tlv(Tag.RECEIPTED_MESSAGE_ID))  # type: ignore[arg-type]


async def test_receipts_wait_for_a_receiver_to_bind(smsc: Smsc) -> None:
    """With no receiver bound, receipts are kept and delivered once one binds."""
    async with raw_client(smsc.port) as tx:
        assert S.ESME_ROK == (await tx.call(bind(command=C.BIND_TRANSMITTER))).status
        await tx.call(submit(2))
        async with raw_client(smsc.port) as rx:
            assert S.ESME_ROK == (await rx.call(bind(command=C.BIND_RECEIVER))).status
            receipt = await rx.recv()
    assert C.DELIVER_SM == receipt.command


async def test_max_binds() -> None:
    """Binds beyond max_binds are refused with ESME_RBINDFAIL."""
    sim = Smsc(SimulatorConfig(port=0, max_binds=1))
    await sim.start()
    try:
        async with raw_client(sim.port) as first, raw_client(sim.port) as second:
            ok = await first.call(bind())
            refused = await second.call(bind())
    finally:
        await sim.stop()
    assert (S.ESME_ROK, S.ESME_RBINDFAIL) == (ok.status, refused.status)


async def test_mo_needs_a_receiver(smsc: Smsc) -> None:
    """inject_mo with nobody bound to receive raises LookupError."""
    with pytest.raises(LookupError):
        await smsc.inject_mo("79990001122", "ACME", "hi")


@pytest.mark.parametrize(
    "value", [{"port": 70000}, {"window": 0}, {"receipt_delay": -1}, {"id_format": "octal"}]
)
def test_config_is_validated(value: dict[str, object]) -> None:
    """An invalid simulator setting fails at construction."""
    with pytest.raises(ValueError):
        SimulatorConfig(**value)  # type: ignore[arg-type]


async def test_delayed_receipts_arrive_after_the_delay_in_order() -> None:
    """With receipt_delay > 0, receipts come later, in submit order, all in one batch."""
    sim = Smsc(SimulatorConfig(port=0, receipt_delay=0.05))
    await sim.start()
    try:
        async with raw_client(sim.port) as client:
            await bound(client)
            ids = [(await client.call(submit(seq))).str_param("message_id") for seq in (2, 3, 4)]
            sent_before = sim.counters.receipts_sent
            receipts = [await client.recv() for _ in ids]
    finally:
        await sim.stop()
    got = [tlv_str(r.tlv(Tag.RECEIPTED_MESSAGE_ID)) for r in receipts]  # type: ignore[arg-type]
    assert (0, ids) == (sent_before, got)
