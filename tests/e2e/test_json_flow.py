"""The spine, end to end: JSON API -> database queue -> engine -> SMPP -> simulator -> receipts."""

from __future__ import annotations

from smsrelay.domain.status import MessageStatus

from .conftest import Platform

UNKNOWN = "Сообщение с таким ID не принималось"


async def test_send_is_delivered_and_charged(platform: Platform) -> None:
    """A message is accepted with an id, goes send -> deliver, and costs one part's price."""
    await platform.account("alice", balance="10", any_sender=True)
    info = await platform.send("alice", "79001234567", "hello")
    assert "send" == info["state"]
    id_sms = info["id_sms"]
    assert isinstance(id_sms, int)
    assert {id_sms: MessageStatus.DELIVERED} == await platform.waiter.final([id_sms])
    state = await platform.state("alice", id_sms, detail=1)
    assert "deliver" == state["state"]
    assert 1 == state["num_parts"]
    assert 1.0 == state["price"]
    assert len(state["time_change_state"]) == 19
    balance = await platform.balance("alice")
    assert "9" == balance["money"]
    assert "RUR" == balance["currency"]
    assert {"type_sms": "sms", "area": "Russia", "num_sms": "9"} in balance["information"]


async def test_state_while_pending_has_empty_time(platform: Platform) -> None:
    """Before any receipt, the state is ``send`` and the time is the empty string (spec §1.6)."""
    await platform.account("bob", any_sender=True)
    info = await platform.send("bob", "79001239004")  # the carrier never sends a receipt
    state = await platform.state("bob", info["id_sms"])
    assert {"id_sms": info["id_sms"], "time_change_state": "", "state": "send"} == state


async def test_magic_numbers_give_each_final_status(platform: Platform) -> None:
    """The simulator's last-four-digit outcomes map to the spec's status words."""
    await platform.account("carol", balance="100", any_sender=True)
    phones = {
        "79001230001": "deliver",
        "79001239001": "not_deliver",
        "79001239002": "expired",
        "79001239003": "not_deliver",
        "79001239005": "deliver",
    }
    ids = {}
    for phone in phones:
        ids[phone] = (await platform.send("carol", phone))["id_sms"]
    await platform.waiter.final(ids.values())
    for phone, word in phones.items():
        assert word == (await platform.state("carol", ids[phone]))["state"], phone


async def test_rejected_at_submit_is_refunded(platform: Platform) -> None:
    """A message the carrier refuses at submit_sm costs nothing in the end."""
    await platform.account("dave", balance="5", any_sender=True)
    info = await platform.send("dave", "79001239003")
    await platform.waiter.final([info["id_sms"]])
    assert "5" == (await platform.balance("dave"))["money"]


async def test_no_receipt_expires_at_validity_end(platform: Platform) -> None:
    """``…9004`` gets no receipt: it stays ``send`` until its validity ends, then ``expired``."""
    await platform.account("erin", any_sender=True)
    info = await platform.send("erin", "79001239004")
    assert platform.runtime.engine is not None
    await platform.runtime.engine.tick()
    assert "send" == (await platform.state("erin", info["id_sms"]))["state"]
    platform.clock.advance(4 * 24 * 3600)
    await platform.runtime.engine.tick()
    await platform.waiter.final([info["id_sms"]])
    assert "expired" == (await platform.state("erin", info["id_sms"]))["state"]


async def test_long_message_is_charged_per_part_and_delivered(platform: Platform) -> None:
    """A 200-character GSM text is 2 parts: charged twice, each part delivered."""
    await platform.account("frank", balance="10", any_sender=True)
    info = await platform.send("frank", "79001234567", "x" * 200)
    await platform.waiter.final([info["id_sms"]])
    state = await platform.state("frank", info["id_sms"], detail=1)
    assert ("deliver", 2) == (state["state"], state["num_parts"])
    assert "8" == (await platform.balance("frank"))["money"]


async def test_unicode_message_counts_ucs2_parts(platform: Platform) -> None:
    """Cyrillic is UCS-2: 71 characters make 2 parts."""
    await platform.account("gina", balance="10", any_sender=True)
    info = await platform.send("gina", "79001234567", "Ж" * 71)
    await platform.waiter.final([info["id_sms"]])
    assert 2 == (await platform.state("gina", info["id_sms"], detail=1))["num_parts"]


async def test_batch_answers_one_entry_per_phone_in_order(platform: Platform) -> None:
    """Two messages with several phones: one ``information`` entry per phone, request order,
    errors in place."""
    await platform.account("hank", balance="100", any_sender=True)
    body = {
        **platform.creds["hank"],
        "message": [
            {
                "type_send_1": "sms",
                "sender": "S1",
                "text": "one",
                "phones": [{"phone": "79001234567"}, {"phone": ""}, {"phone": 79001234568}],
            },
            {
                "type_send_1": "sms",
                "sender": "S2",
                "text": "two",
                "phones": [{"phone": "1234567890123456"}, {"phone": "79001234569"}],
            },
        ],
    }
    info = (await platform.post("/json", body))["information"]
    assert 5 == len(info)
    assert ["send", None, "send", None, "send"] == [e.get("state") for e in info]
    assert "Укажите номер телефона." == info[1]["error"]
    assert "Номер телефона должен быть меньше 15 символов." == info[3]["error"]
    ids = [e["id_sms"] for e in info if "id_sms" in e]
    assert len(set(ids)) == 3


async def test_foreign_id_answers_like_unknown(platform: Platform) -> None:
    """Asking for another account's id answers exactly as for an id that never existed."""
    await platform.account("ivan", any_sender=True)
    await platform.account("judy", any_sender=True)
    mine = (await platform.send("ivan", "79001234567"))["id_sms"]
    foreign = await platform.state("judy", mine, detail=1)
    never = await platform.state("judy", 9_000_000_000_000, detail=1)
    assert UNKNOWN == foreign["state"] == never["state"]
    assert {k for k in foreign if k != "id_sms"} == {k for k in never if k != "id_sms"}
