"""Every SMS kind on the SMPP wire: messages accepted by the submit service, delivered by the
engine through the SMPP connector, and the submit_sm PDUs the simulator received, byte for byte
(data_coding, protocol_id, esm_class, UDH, WSP header, WBXML, vCard text)."""

from __future__ import annotations

from typing import Any

from e2e.conftest import Platform
from smsrelay.domain.messages import MessageKind
from smsrelay.domain.status import MessageStatus
from smsrelay.services.commands import Credentials, SendItem, SendRecipient
from smsrelay.smpp import Pdu
from smsrelay.text import vcard, wap


async def deliver(
    platform: Platform, phone: str, kind: MessageKind, text: str, **extra: str
) -> list[Pdu]:
    """Send one message of ``kind`` to ``phone``; its submit_sm PDUs once it is delivered."""
    if "kinds" not in platform.creds:
        await platform.account("kinds", any_sender=True)
    creds = platform.creds["kinds"]
    account = await platform.runtime.platform.authenticate(
        Credentials(login=creds["login"], password=creds["password"])
    )
    item = SendItem(
        recipients=[SendRecipient(phone=phone)], sender="Shop", text=text, kind=kind, extra=extra
    )
    [result] = await platform.runtime.platform.send(account, [item])
    assert result.id_sms is not None, result
    final = await platform.waiter.final([result.id_sms])
    assert MessageStatus.DELIVERED == final[result.id_sms]
    assert platform.runtime.simulator is not None
    return [
        p for p in platform.runtime.simulator.submitted if p.str_param("destination_addr") == phone
    ]


def fields(pdu: Pdu) -> dict[str, Any]:
    return {k: pdu.params[k] for k in ("data_coding", "protocol_id", "esm_class")}


async def test_flash_uses_message_class_0(platform: Platform) -> None:
    """Flash: data_coding 0x10 for GSM 03.38 text, 0x18 for UCS-2; no UDH."""
    [gsm] = await deliver(platform, "79001110001", MessageKind.FLASH, "Flash!")
    assert {"data_coding": 0x10, "protocol_id": 0, "esm_class": 0} == fields(gsm)
    assert b"Flash!" == gsm.bytes_param("short_message")  # unpacked septets: ASCII letters
    [ucs2] = await deliver(platform, "79001110002", MessageKind.FLASH, "Привет")
    assert {"data_coding": 0x18, "protocol_id": 0, "esm_class": 0} == fields(ucs2)
    assert "Привет".encode("utf-16-be") == ucs2.bytes_param("short_message")


async def test_silent_message_uses_protocol_id_0x40(platform: Platform) -> None:
    """Invisible (``silence``): protocol_id 0x40, short message type 0 (TS 23.040 §9.2.3.9)."""
    [pdu] = await deliver(platform, "79001110003", MessageKind.SILENCE, "ping")
    assert {"data_coding": 0x00, "protocol_id": 0x40, "esm_class": 0} == fields(pdu)


async def test_wap_push_is_si_wbxml_to_port_2948(platform: Platform) -> None:
    """WAP-Push: 8-bit data, UDH with ports 2948/9200, WSP push header + WBXML SI."""
    [pdu] = await deliver(
        platform, "79001110004", MessageKind.WAPPUSH, "New offer", url="http://www.shop.example/x"
    )
    assert {"data_coding": 0x04, "protocol_id": 0, "esm_class": 0x40} == fields(pdu)
    body = pdu.bytes_param("short_message")
    assert bytes.fromhex("06 05 04 0B 84 23 F0") == body[:7]  # UDHL 6, port IE 2948 <- 9200
    tid = body[7]
    assert wap.wap_push("http://www.shop.example/x", "New offer", tid) == body[7:]
    assert bytes.fromhex("06 04 03 AE 81 EA 02 05 6A 00 45 C6 0D 03") == body[8:22]


async def test_long_wap_push_is_concatenated_with_ports_in_every_part(platform: Platform) -> None:
    """A push longer than one part: each part's UDH holds the concatenation IE and the ports."""
    url = "https://example.com/" + "p" * 150
    pdus = await deliver(platform, "79001110005", MessageKind.WAPPUSH, "Long", url=url)
    assert 2 == len(pdus)
    bodies = [p.bytes_param("short_message") for p in pdus]
    ref = bodies[0][3]
    for number, body in enumerate(bodies, start=1):
        assert 0x04 == pdus[number - 1].params["data_coding"]
        # UDHL 11: concatenation (8-bit ref, 2 parts, this part) + port element 2948 <- 9200
        assert bytes((11, 0x00, 3, ref, 2, number)) + wap.port_element(2948, 9200) == body[:12]
    whole = bodies[0][12:] + bodies[1][12:]
    assert wap.wap_push(url, "Long", whole[0]) == whole


async def test_vcard_is_21_text_to_port_9204(platform: Platform) -> None:
    """vCard: 8-bit data, UDH ports 9204/9204, the vCard 2.1 text of the message's fields."""
    extra = {"name": "Ivan", "phone_cell": "79033256699", "email": "ivan@example.com"}
    [pdu] = await deliver(platform, "79001110006", MessageKind.VCARD, "card", **extra)
    assert {"data_coding": 0x04, "protocol_id": 0, "esm_class": 0x40} == fields(pdu)
    body = pdu.bytes_param("short_message")
    assert bytes.fromhex("06 05 04 23 F4 23 F4") == body[:7]
    assert vcard.vcard(extra).encode("ascii") == body[7:]
    assert body[7:].startswith(b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Ivan\r\nTEL;CELL:79033256699\r\n")
