"""Customers over SMPP: bind, submit_sm through the same acceptance as HTTP, receipts back.

Real platform (SQLite file and PostgreSQL), real simulator carrier, real sockets on port 0.
"""

from __future__ import annotations

from e2e.conftest import Platform
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.smpp import CommandStatus, MessageState, Tag, parse_receipt_text, tlv_int, tlv_str
from smsrelay.smpp_server import statuses

from .conftest import Customer, give_smpp, smpp_server

S = CommandStatus


async def test_submit_is_accepted_charged_and_receipted(platform: Platform) -> None:
    """A submit_sm with registered_delivery gets the message's id_sms, is charged like HTTP,
    shows in J2 state, is recorded as entered over SMPP, and its receipt comes back as
    deliver_sm esm_class 0x04 with the standard text and TLVs."""
    await platform.account("acme", balance="10", any_sender=True)
    await give_smpp(platform, "acme")
    port = smpp_server(platform).port
    c = await Customer.connect(port)
    try:
        assert S.ESME_ROK == (await c.bind("acme")).status
        resp = await c.submit("79990001122", b"hello there", registered_delivery=1)
        assert S.ESME_ROK == resp.status
        id_sms = int(resp.str_param("message_id"))
        receipt = await c.next_delivered()
        assert 0x04 == receipt.int_param("esm_class")
        assert str(id_sms) == tlv_str(receipt.tlv(Tag.RECEIPTED_MESSAGE_ID))  # type: ignore[arg-type]
        assert MessageState.DELIVERED == tlv_int(receipt.tlv(Tag.MESSAGE_STATE))  # type: ignore[arg-type]
        text = parse_receipt_text(receipt.bytes_param("short_message"))
        assert (str(id_sms), "DELIVRD") == (text.id, text.stat)
        assert ("79990001122", "Shop") == (
            receipt.str_param("source_addr"),
            receipt.str_param("destination_addr"),
        )
    finally:
        await c.close()
    state = await platform.state("acme", id_sms)
    assert "deliver" == state["state"]
    assert "9" == (await platform.balance("acme"))["money"]
    acme = await platform.runtime.stores.accounts.find_by_login("acme")
    assert acme is not None
    views = await platform.runtime.stores.messages.views(acme.account.id, [id_sms])
    assert 1 == views[id_sms].parts


async def test_refusals_map_to_statuses_and_charge_nothing(platform: Platform) -> None:
    """Bad destination, bad sender, stop list, unapproved sender, no money: each answered with
    its documented status, and the balance stays whole."""
    await platform.account("acme", balance="1.50")
    await give_smpp(platform, "acme")
    acme = await platform.runtime.stores.accounts.find_by_login("acme")
    assert acme is not None
    await platform.runtime.stores.accounts.add_stop(
        acme.account.id, "79990000000", platform.clock.now()
    )
    await platform.runtime.stores.accounts.set_sender(
        acme.account.id, Sender("Shop", SenderState.COMPLETED)
    )
    await platform.runtime.stores.accounts.set_sender(
        acme.account.id, Sender("Wait", SenderState.ORDER)
    )
    c = await Customer.connect(smpp_server(platform).port)
    try:
        assert S.ESME_ROK == (await c.bind("acme")).status
        cases = [
            (("12",), {}, S.ESME_RINVDSTADR),
            (("79990001122",), {"source_addr": "Unknown"}, S.ESME_RINVSRCADR),
            (("79990000000",), {}, statuses.STOP_LIST),
            (("79990001122",), {"source_addr": "Wait"}, statuses.NOT_APPROVED),
            (("3809990001122",), {}, statuses.OUT_OF_MONEY),  # 2.00 > 1.50
            (("79990001122",), {"dest_addr_ton": 3}, S.ESME_RINVDSTTON),
            (("79990001122",), {"data_coding": 4}, S.ESME_RSUBMITFAIL),
            (("79990001122",), {"validity_period": "garbage"}, S.ESME_RINVEXPIRY),
            (("79990001122",), {"schedule_delivery_time": "9912"}, S.ESME_RINVSCHED),
        ]
        for args, params, expected in cases:
            resp = await c.submit(*args, **params)
            assert (args, params, expected) == (args, params, resp.status)
        assert "1.5" == (await platform.balance("acme"))["money"]
        ok = await c.submit("79990001122")
        assert S.ESME_ROK == ok.status
        assert "0.5" == (await platform.balance("acme"))["money"]
    finally:
        await c.close()
