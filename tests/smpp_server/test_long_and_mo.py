"""Long messages in (UDH 8/16-bit, SAR, message_payload; data_coding 0, 1, 3, 8), MO out, and
the outbox: receipts and MO kept for customers that are not bound, delivered when they bind,
retried when refused, never shown to another account; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from e2e.conftest import Platform
from smsrelay import text as textcodec
from smsrelay.services.inbound import InboundService
from smsrelay.smpp import CommandStatus, Tag, Tlv, parse_receipt_text
from smsrelay.smpp.udh import concat_element, join_udh

from .conftest import Customer, give_smpp, smpp_server

S = CommandStatus


def _carrier_text(platform: Platform, destination: str) -> str:
    """The text the simulator received for ``destination``, parts joined (GSM7 or UCS-2)."""
    sim = platform.runtime.simulator
    assert sim is not None
    parts = [p for p in sim.submitted if p.str_param("destination_addr") == destination]
    out = []
    for p in parts:
        body = p.bytes_param("short_message")
        if p.int_param("esm_class") & 0x40:
            body = body[body[0] + 1 :]
        coding = p.int_param("data_coding")
        enc = textcodec.Encoding.UCS2 if coding == 8 else textcodec.Encoding.GSM7
        out.append(textcodec.decode(body, enc) if coding in (0, 8) else body.decode("latin-1"))
    return "".join(out)


async def test_long_messages_in_every_form(platform: Platform) -> None:
    """Parts by 8-bit UDH (GSM7), 16-bit UDH (UCS-2), SAR TLVs (Latin-1, coding 3) and one
    message_payload (IA5, coding 1) are each accepted as ONE message: the completing part gets
    the id_sms, the others a provisional id at once; the carrier gets the whole text."""
    await platform.account("acme", balance="100", any_sender=True)
    await give_smpp(platform, "acme")
    c = await Customer.connect(smpp_server(platform).port)
    gsm = "A" * 153 + "B" * 153 + "C" * 20
    ucs = "Привет " * 20
    latin = "é" * 150 + "x" * 50
    try:
        assert S.ESME_ROK == (await c.bind("acme")).status
        # 8-bit reference, GSM7 unpacked septets, parts sent out of order
        chunks = [gsm[:153], gsm[153:306], gsm[306:]]
        ids = []
        for seq in (2, 1, 3):
            body = join_udh(concat_element(7, 3, seq), chunks[seq - 1].encode("ascii"))
            ids.append(
                (await c.submit("79990000001", body, esm_class=0x40)).str_param("message_id")
            )
        assert ["P7-2-3", "P7-1-3"] == ids[:2] and ids[2].isdigit()
        # 16-bit reference, UCS-2
        raw = ucs.encode("utf-16-be")
        halves = [raw[:134], raw[134:]]
        for seq, half in enumerate(halves, 1):
            body = join_udh(concat_element(300, 2, seq, wide=True), half)
            resp = await c.submit("79990000002", body, esm_class=0x40, data_coding=8)
            assert S.ESME_ROK == resp.status
        # SAR TLVs, Latin-1
        raw = latin.encode("latin-1")
        for seq, piece in enumerate([raw[:134], raw[134:]], 1):
            sar = (
                Tlv.of_int(Tag.SAR_MSG_REF_NUM, 9),
                Tlv.of_int(Tag.SAR_TOTAL_SEGMENTS, 2),
                Tlv.of_int(Tag.SAR_SEGMENT_SEQNUM, seq),
            )
            resp = await c.submit("79990000003", piece, data_coding=3, tlvs=sar)
            assert S.ESME_ROK == resp.status
        # message_payload, IA5
        payload = ("long ascii text " * 20).encode()
        resp = await c.submit(
            "79990000004", b"", data_coding=1, tlvs=(Tlv(Tag.MESSAGE_PAYLOAD, payload),)
        )
        assert S.ESME_ROK == resp.status
        for _ in range(200):
            if _carrier_text(platform, "79990000004"):
                break
            await asyncio.sleep(0.05)
        assert gsm == _carrier_text(platform, "79990000001")
        assert ucs == _carrier_text(platform, "79990000002")
        assert payload.decode() == _carrier_text(platform, "79990000004")
        assert latin == _carrier_text(platform, "79990000003")
    finally:
        await c.close()
    # one message each, charged per part of the platform's own split: 3 + 3 + 2 + 3 = 11 parts
    assert "89" == (await platform.balance("acme"))["money"]


async def test_receipts_and_mo_wait_for_a_bind_and_stay_with_their_account(
    platform: Platform,
) -> None:
    """A receipt for a customer that unbound and an MO routed to its number wait in the outbox
    and reach its next receiver bind; another account's receiver bind never sees them; a
    deliver_sm answered with an error comes again later."""
    await platform.account("acme", balance="100", any_sender=True)
    await platform.account("other", balance="100", any_sender=True)
    await give_smpp(platform, "acme")
    await give_smpp(platform, "other")
    server = smpp_server(platform)
    server.settings = type(server.settings)(**{**_fields(server.settings), "retry_delay": 0.2})
    acme = await platform.runtime.stores.accounts.find_by_login("acme")
    assert acme is not None
    inbound = platform.runtime.extras["inbound"]
    assert isinstance(inbound, InboundService)
    await inbound.add_number(acme.account.id, "79990001111", None)
    tx = await Customer.connect(server.port)
    assert S.ESME_ROK == (await tx.bind("acme", kind="tx")).status
    resp = await tx.submit("79990005555", b"to be receipted", registered_delivery=1)
    id_sms = resp.str_param("message_id")
    await platform.waiter.final([int(id_sms)])
    await tx.close()
    sim = platform.runtime.simulator
    assert sim is not None
    await sim.inject_mo("79161234567", "79990001111", "reply from a phone")
    await inbound.flushed()
    other = await Customer.connect(server.port)
    assert S.ESME_ROK == (await other.bind("other", kind="rx")).status
    rx = await Customer.connect(server.port)
    rx.deliver_status = S.ESME_RSYSERR  # the first tries are refused: retried later
    assert S.ESME_ROK == (await rx.bind("acme", kind="rx")).status
    first = await rx.next_delivered()
    rx.deliver_status = S.ESME_ROK
    got = [first]
    while len({_what(p) for p in got}) < 2:
        got.append(await rx.next_delivered())
    kinds = {_what(p) for p in got}
    assert {("receipt", id_sms), ("mo", "reply from a phone")} == kinds
    await asyncio.sleep(0.3)
    assert other.delivered.empty()
    await rx.close()
    await other.close()


def _what(pdu) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    if pdu.int_param("esm_class") & 0x04:
        return ("receipt", parse_receipt_text(pdu.bytes_param("short_message")).id or "")
    return ("mo", textcodec.decode(pdu.bytes_param("short_message"), textcodec.Encoding.GSM7))


def _fields(settings: object) -> dict[str, object]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}  # type: ignore[attr-defined]
