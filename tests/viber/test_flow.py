"""Viber and the Viber->SMS cascade end to end: the JSON API, the Viber dispatcher, the Viber
simulator's HTTP API and signed callbacks, the SMS engine and the SMSC simulator."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus as S
from smsrelay.services.cascade import ChannelState
from smsrelay.services.commands import Credentials
from smsrelay.services.localtime import to_local

from .conftest import ViberPlatform

START = Money.parse("100")
VIBER = Money.parse("0.40")
SMS = Money.parse("1.00")


async def test_viber_message_is_delivered_and_charged_at_the_viber_price(
    platform: ViberPlatform,
) -> None:
    """A Viber message goes to the provider with its sender, text, image and button; the
    callback makes it ``deliver``; one part at the Viber price is charged."""
    id_sms = await platform.viber(
        "79001230000",
        image_viber="https://img.example/a.png",
        button_viber="Open",
        action_viber="https://shop.example/",
    )
    assert S.DELIVERED == await platform.waiter.final(id_sms)
    state = await platform.state(id_sms)
    assert ("deliver", 1, 0.4) == (state["state"], state["num_parts"], state["price"])
    sent = platform.simulator.received[0]
    expected = {
        "id": str(id_sms),
        "phone": "79001230000",
        "sender": "ShopViber",
        "text": "Viber hello",
        "image_url": "https://img.example/a.png",
        "button_caption": "Open",
        "button_url": "https://shop.example/",
    }
    assert expected == {k: sent[k] for k in expected}
    assert 0 < sent["ttl_seconds"] <= 86400  # §1.6: one day at most
    assert START - VIBER == await platform.balance()
    states = await platform.store.channel_states([id_sms])
    assert S.DELIVERED == states[id_sms].viber and states[id_sms].sms is None


async def test_read_receipt_moves_a_delivered_message_to_read(lite: ViberPlatform) -> None:
    """…9006: the provider reports ``delivered`` then ``read``; J2 shows ``read``."""
    id_sms = await lite.viber("79001239006")
    await lite.waiter.reach(id_sms, S.READ)
    assert "read" == (await lite.state(id_sms))["state"]
    assert [S.SUBMITTED, S.DELIVERED, S.READ] == lite.waiter.seen[id_sms]


async def test_viber_not_delivered_without_cascade_ends_not_delivered(
    lite: ViberPlatform,
) -> None:
    """…9007 (no Viber on the number) without ``type_send_2``: ``not_deliver``, still charged
    (the provider took it), no SMS leg."""
    id_sms = await lite.viber("79001239007")
    assert S.UNDELIVERED == await lite.waiter.final(id_sms)
    assert "not_deliver" == (await lite.state(id_sms))["state"]
    assert START - VIBER == await lite.balance()
    assert ChannelState(id_sms, viber=S.UNDELIVERED) == _no_times(
        (await lite.store.channel_states([id_sms]))[id_sms]
    )


async def test_cascade_sends_the_sms_leg_when_viber_is_not_delivered(
    platform: ViberPlatform,
) -> None:
    """…9007 with ``type_send_2=sms``: the same id_sms becomes an SMS leg with the SMS sender
    and text, charged at the SMS price when it starts; the overall status is the SMS outcome;
    X2 shows both channels (``sms="deliver" viber="not_deliver"``)."""
    id_sms = await platform.viber("79001239007", cascade=True)
    assert S.DELIVERED == await platform.waiter.final(id_sms)
    assert [S.SUBMITTED, S.QUEUED, S.SUBMITTED, S.DELIVERED] == platform.waiter.seen[id_sms]
    state = await platform.state(id_sms)
    assert ("deliver", 1, 1.0) == (state["state"], state["num_parts"], state["price"])
    assert START - VIBER - SMS == await platform.balance()
    legs = (await platform.store.channel_states([id_sms]))[id_sms]
    assert (S.DELIVERED, S.UNDELIVERED) == (legs.sms, legs.viber)
    views = await platform.runtime.platform.states(
        await platform.runtime.platform.authenticate(_creds(platform)), [id_sms]
    )
    assert (S.DELIVERED, S.DELIVERED, S.UNDELIVERED) == (
        views[0].status,
        views[0].sms,
        views[0].viber,
    )
    x2 = await platform.http.post(
        "/xml/state.php",
        content=(
            f'<request><security><token value="{platform.creds["token"]}"/></security>'
            f"<get_state><id_sms>{id_sms}</id_sms></get_state></request>"
        ).encode(),
    )
    x2_state = ElementTree.fromstring(x2.content).find("state")
    assert x2_state is not None
    assert (str(id_sms), "deliver", "not_deliver", "deliver") == (
        x2_state.get("id_sms"),
        x2_state.get("sms"),
        x2_state.get("viber"),
        x2_state.text,
    )


async def test_cascade_falls_back_when_validity_period_viber_passes(
    platform: ViberPlatform,
) -> None:
    """…9004 (the provider never reports): once ``validity_period_viber`` is over, a pass of
    the dispatcher expires the Viber leg and starts the SMS leg (charged then); not a moment
    before. (…9004 is also silent on the SMSC, so the SMS leg stays ``send``.)"""
    account = await platform.runtime.platform.authenticate(_creds(platform))
    deadline = to_local(platform.clock.now() + timedelta(hours=1), account)
    id_sms = await platform.viber(
        "79001239004", cascade=True, validity_period_viber=deadline.strftime("%Y-%m-%d %H:%M:%S")
    )
    await platform.waiter.reach(id_sms, S.SUBMITTED)
    platform.clock.advance(30 * 60)
    await platform.dispatcher.tick()
    assert [S.SUBMITTED] == platform.waiter.seen[id_sms]
    platform.clock.advance(31 * 60)
    await platform.dispatcher.tick()
    await platform.waiter.reach(id_sms, S.SUBMITTED, times=2)  # the SMSC takes the SMS leg
    legs = (await platform.store.channel_states([id_sms]))[id_sms]
    assert (S.SUBMITTED, S.EXPIRED) == (legs.sms, legs.viber)
    assert "send" == (await platform.state(id_sms))["state"]
    assert START - VIBER - SMS == await platform.balance()


async def test_cascade_default_viber_lifetime_is_one_day(lite: ViberPlatform) -> None:
    """Without ``validity_period_viber`` the Viber leg lives one day (§1.6), then the SMS leg."""
    id_sms = await lite.viber("79001239004", cascade=True)
    await lite.waiter.reach(id_sms, S.SUBMITTED)
    lite.clock.advance(23 * 3600)
    await lite.dispatcher.tick()
    assert [S.SUBMITTED] == lite.waiter.seen[id_sms]
    lite.clock.advance(3600 + 60)
    await lite.dispatcher.tick()
    await lite.waiter.reach(id_sms, S.QUEUED)


async def test_viber_only_message_expires_after_one_day(lite: ViberPlatform) -> None:
    """…9004 without cascade: after a day without a report the message is ``expired``
    (no refund: the provider took it)."""
    id_sms = await lite.viber("79001239004")
    await lite.waiter.reach(id_sms, S.SUBMITTED)
    lite.clock.advance(86400 + 60)
    await lite.dispatcher.tick()
    assert S.EXPIRED == await lite.waiter.final(id_sms)
    assert "expired" == (await lite.state(id_sms))["state"]
    assert START - VIBER == await lite.balance()


async def test_refused_legs_are_refunded(platform: ViberPlatform) -> None:
    """…9003 is refused by the provider and by the SMSC: without cascade the Viber charge is
    refunded; with cascade both legs are refused and both refunded."""
    alone = await platform.viber("79001239003")
    assert S.REJECTED == await platform.waiter.final(alone)
    assert "not_deliver" == (await platform.state(alone))["state"]
    both = await platform.viber("79001239003", cascade=True)
    assert S.REJECTED == await platform.waiter.final(both)
    assert [S.QUEUED, S.REJECTED] == platform.waiter.seen[both]
    legs = (await platform.store.channel_states([both]))[both]
    assert (S.REJECTED, S.REJECTED) == (legs.sms, legs.viber)
    assert START == await platform.balance()


async def test_throttled_send_is_retried_by_the_connector(lite: ViberPlatform) -> None:
    """…9005: HTTP 429 with Retry-After on the first try, then accepted and delivered."""
    id_sms = await lite.viber("79001239005")
    assert S.DELIVERED == await lite.waiter.final(id_sms)
    assert 1 == len(lite.simulator.received)


async def test_no_sms_leg_without_money_for_it(lite: ViberPlatform) -> None:
    """A cascade whose account cannot pay the SMS leg ends with the Viber leg's status."""
    _, token = await lite.runtime.admin.create_account(
        "poor", "pw-poor", balance=Money.parse("0.50"), any_sender=True
    )
    lite.creds = {"token": token}
    id_sms = await lite.viber("79001239007", cascade=True)
    assert S.UNDELIVERED == await lite.waiter.final(id_sms)
    assert Money.parse("0.10") == await lite.balance()
    legs = (await lite.store.channel_states([id_sms]))[id_sms]
    assert (None, S.UNDELIVERED) == (legs.sms, legs.viber)


async def test_button_needs_caption_and_url(lite: ViberPlatform) -> None:
    """A caption without URL is §1.9 #13, a URL without caption #12; a cascade needs its SMS
    text. Nothing is charged."""
    base = {"type_send_1": "viber", "sender_viber": "ShopViber", "text_viber": "hi"}
    no_url = await lite.send({**base, "button_viber": "Open"}, phone="79001230000")
    no_caption = await lite.send(
        {**base, "action_viber": "https://x.example/"}, phone="79001230000"
    )
    no_sms_text = await lite.send(
        {**base, "type_send_2": "sms", "sender": "ShopSms"}, phone="79001230000"
    )
    assert ["Нет ссылки.", "Нет текста сообщения.", "Нет текста сообщения."] == [
        no_url["error"],
        no_caption["error"],
        no_sms_text["error"],
    ]
    assert START == await lite.balance()


async def test_callback_endpoint_refuses_what_it_cannot_trust(lite: ViberPlatform) -> None:
    """Unknown connector 404, bad signature 403, unsigned garbage 403, signed garbage 400."""
    from smsrelay.delivery.viber_connector import sign

    body = b'{"message_id": "vb-1", "status": "delivered"}'
    http = lite.http
    assert 404 == (await http.post("/viber/callback/other", content=body)).status_code
    bad = {"x-signature": "sha256=00"}
    assert 403 == (await http.post("/viber/callback/viber", content=body, headers=bad)).status_code
    good = {"x-signature": sign(lite.runtime.settings.viber_token, b"[]")}
    assert (
        400 == (await http.post("/viber/callback/viber", content=b"[]", headers=good)).status_code
    )


def _creds(platform: ViberPlatform) -> Credentials:
    return Credentials(token=platform.creds["token"])


def _no_times(state: ChannelState) -> ChannelState:
    return ChannelState(state.message_id, sms=state.sms, viber=state.viber)


async def test_get_cascade_g3_uses_the_same_path(lite: ViberPlatform) -> None:
    """G3: ``GET /sendsms.php`` with the Viber fields, ``type_send_2=sms``, ``sadr`` and
    ``text`` is the same cascade: the SMS leg is sent after Viber fails."""
    params = {
        "token": lite.creds["token"],
        "dadr": "79001239007",
        "type_send_1": "viber",
        "sender_viber": "ShopViber",
        "text_viber": "Viber hello",
        "type_send_2": "sms",
        "sadr": "ShopSms",
        "text": "SMS hello",
    }
    answer = await lite.http.get("/sendsms.php", params=params)
    id_sms = int(answer.text.strip())
    assert S.DELIVERED == await lite.waiter.final(id_sms)
    assert [S.SUBMITTED, S.QUEUED, S.SUBMITTED, S.DELIVERED] == lite.waiter.seen[id_sms]
