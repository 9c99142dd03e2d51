"""smpplib (an SMPP client nobody here wrote) as a customer of our SMPP server: bind, short and
long messages in each coding it offers (GSM 03.38, Latin-1, UCS-2; long ones with UDH), the
receipt of each, an MO waiting for it, enquire_link, unbind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import smpplib.client  # type: ignore[import-untyped]
import smpplib.consts  # type: ignore[import-untyped]
import smpplib.gsm  # type: ignore[import-untyped]
import smpplib.smpp  # type: ignore[import-untyped]

from e2e.conftest import Platform, start_platform
from smsrelay.services.inbound import InboundService

from .conftest import give_smpp, smpp_server

MESSAGES = [
    ("79990000001", "short one", smpplib.consts.SMPP_ENCODING_DEFAULT),
    ("79990000002", "long GSM " * 40, smpplib.consts.SMPP_ENCODING_DEFAULT),
    ("79990000003", "latin-1 ñandú " * 12, smpplib.consts.SMPP_ENCODING_ISO88591),
    ("79990000004", "юникод ✓ " * 20, smpplib.consts.SMPP_ENCODING_ISO10646),
]


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p


def _customer(port: int) -> dict[str, Any]:
    client = smpplib.client.Client("127.0.0.1", port, timeout=10, allow_unknown_opt_params=True)
    seen: dict[str, Any] = {"ids": [], "delivered": [], "statuses": []}

    def sent(pdu: Any) -> None:
        seen["ids"].append(
            pdu.message_id.decode() if isinstance(pdu.message_id, bytes) else pdu.message_id
        )
        seen["statuses"].append(pdu.status)

    client.set_message_sent_handler(sent)
    client.set_message_received_handler(lambda pdu: seen["delivered"].append(pdu))
    client.connect()
    try:
        client.bind_transceiver(system_id="acme", password="secret")
        for destination, text, encoding in MESSAGES:
            parts, coding, esm_class = smpplib.gsm.make_parts(text, encoding=encoding)
            for part in parts:
                client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                    source_addr="Shop",
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr=destination,
                    short_message=part,
                    data_coding=coding,
                    esm_class=esm_class,
                    registered_delivery=True,
                )
        for _ in range(100):
            receipts = [p for p in seen["delivered"] if p.esm_class & 0x04]
            if len(receipts) >= len(MESSAGES) and len(seen["delivered"]) > len(receipts):
                break
            client.read_once()
        client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
        seen["enquire"] = client.read_pdu().command
        client.unbind()
    finally:
        client.disconnect()
    return seen


async def test_smpplib_customer(platform: Platform) -> None:
    """Every message is accepted once (the completing part carries the id_sms), every receipt
    names its id, the MO routed to the account arrives, enquire_link and unbind are answered."""
    await platform.account("acme", balance="1000", any_sender=True)
    await give_smpp(platform, "acme")
    acme = await platform.runtime.stores.accounts.find_by_login("acme")
    assert acme is not None
    inbound = platform.runtime.extras["inbound"]
    assert isinstance(inbound, InboundService)
    await inbound.add_number(acme.account.id, "79990001111", None)
    sim = platform.runtime.simulator
    assert sim is not None
    await sim.inject_mo("79161234567", "79990001111", "hello customer")
    await inbound.flushed()
    seen = await asyncio.to_thread(_customer, smpp_server(platform).port)
    assert all(s == 0 for s in seen["statuses"])
    final_ids = {i for i in seen["ids"] if i.isdigit()}
    assert len(MESSAGES) == len(final_ids)
    receipts = [p for p in seen["delivered"] if p.esm_class & 0x04]
    got = {
        (
            r.receipted_message_id.decode()
            if isinstance(r.receipted_message_id, bytes)
            else r.receipted_message_id
        )
        for r in receipts
    }
    assert final_ids == got
    mos = [p for p in seen["delivered"] if not p.esm_class & 0x04]
    assert [b"hello customer"] == [m.short_message for m in mos]
    assert "enquire_link_resp" == seen["enquire"]
