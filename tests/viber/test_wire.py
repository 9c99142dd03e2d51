"""The provider wire (pure functions), the acceptance rules of Viber items, and the Viber
simulator's HTTP edges through the real HTTP adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from smsrelay.clock import utc
from smsrelay.delivery.viber_connector import (
    CallbackRejected,
    HttpViberConfig,
    HttpViberProvider,
    ViberMessage,
    decode_callback,
    decode_send_response,
    sign,
    verify,
)
from smsrelay.domain.errors import RecipientError as R
from smsrelay.domain.messages import Channel
from smsrelay.services.cascade import (
    EXTRA_FALLBACK,
    EXTRA_SMS_PARTS,
    EXTRA_VIBER_UNTIL,
    SendVerdict,
    ViberState,
    ViberStatusRecord,
    check_viber_item,
    viber_leg_fields,
)
from smsrelay.services.commands import SendItem
from smsrelay.simulator.viber import ViberSimulator, ViberSimulatorConfig

NOW = utc(2026, 1, 1, 12)


@pytest.mark.parametrize(
    ("status", "body", "headers", "verdict", "retry_after"),
    [
        (200, b'{"message_id": "m-1"}', {}, SendVerdict.ACCEPTED, None),
        (200, b'{"message_id": ""}', {}, SendVerdict.RETRY, None),
        (200, b"not json", {}, SendVerdict.RETRY, None),
        (400, b'{"error": "invalid phone"}', {}, SendVerdict.REFUSED, None),
        (401, b"", {}, SendVerdict.RETRY, None),
        (429, b"", {"retry-after": "2"}, SendVerdict.RETRY, 2.0),
        (429, b"", {"retry-after": "999"}, SendVerdict.RETRY, 5.0),
        (503, b"", {}, SendVerdict.RETRY, None),
    ],
)
def test_send_response_verdicts(
    status: int,
    body: bytes,
    headers: dict[str, str],
    verdict: SendVerdict,
    retry_after: float | None,
) -> None:
    """200 with an id is accepted; 4xx refused for good except our own credentials; 429 and
    5xx are retried; Retry-After is capped."""
    result = decode_send_response(status, body, headers)
    assert (verdict, retry_after) == (result.verdict, result.retry_after)


def test_callback_bodies_decode_to_records() -> None:
    """One object or an array; ``time`` optional (then now), ``Z`` or an offset."""
    body = (
        b'[{"message_id": "a", "status": "read", "time": "2026-01-01T12:00:05Z"},'
        b' {"message_id": 7, "status": "undelivered"}]'
    )
    expected = [
        ViberStatusRecord("viber", "a", ViberState.READ, NOW + timedelta(seconds=5)),
        ViberStatusRecord("viber", "7", ViberState.UNDELIVERED, NOW),
    ]
    assert expected == decode_callback("viber", body, NOW)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b'"x"',
        b'{"message_id": "a", "status": "seen"}',
        b'{"status": "read"}',
        b'{"message_id": "a", "status": "read", "time": "yesterday"}',
        b"[" + b",".join([b'{"message_id": "a", "status": "read"}'] * 1001) + b"]",
    ],
)
def test_malformed_callbacks_are_refused(body: bytes) -> None:
    """Anything but 1..1000 well-formed status objects is refused whole."""
    with pytest.raises(CallbackRejected):
        decode_callback("viber", body, NOW)


def test_signature_is_an_hmac_of_the_body() -> None:
    """Only the exact body signed with the shared token verifies."""
    signature = sign("secret", b"body")
    assert (True, False, False, False) == (
        verify("secret", b"body", signature),
        verify("secret", b"body!", signature),
        verify("other", b"body", signature),
        verify("secret", b"body", None),
    )


def _item(**extra: str) -> SendItem:
    fallback = Channel.SMS if extra.pop("cascade", "") else None
    sender, text = extra.pop("sender", None), extra.pop("text", None)
    return SendItem(
        recipients=[],
        channel=Channel.VIBER,
        fallback=fallback,
        sender=sender,
        text=text,
        extra={"sender_viber": "V", "text_viber": "hi", **extra},
    )


@pytest.mark.parametrize(
    ("item", "error"),
    [
        (_item(), None),
        (_item(button_viber="Go", action_viber="https://x.example"), None),
        (_item(button_viber="Go"), R.NO_LINK),
        (_item(action_viber="https://x.example"), R.NO_TEXT),
        (_item(button_viber="Go", action_viber="javascript:alert(1)"), R.NO_LINK),
        (_item(image_viber="ftp://x.example/a.png"), R.NO_LINK),
        (_item(text_viber="x" * 1001), R.TOO_MANY_PARTS),
        (_item(cascade="1", sender="Shop", text="sms"), None),
        (_item(cascade="1", text="sms"), R.NO_SENDER),
        (_item(cascade="1", sender="Shop"), R.NO_TEXT),
        (_item(cascade="1", sender="Shop", text="x" * 2000), R.TOO_MANY_PARTS),
    ],
)
def test_viber_item_rules(item: SendItem, error: R | None) -> None:
    """Buttons need caption and URL, URLs are http(s), texts are bounded, a cascade's SMS leg
    is checked at acceptance."""
    assert error == check_viber_item(item, max_parts=10)


def test_viber_lifetime_is_one_day_at_most_and_within_validity() -> None:
    """Viber-only: the message lives until validity_period_viber, capped at a day (§1.6) and
    at validity_period. A cascade keeps validity_period for its SMS leg."""
    week = NOW + timedelta(days=7)
    assert NOW + timedelta(days=1) == viber_leg_fields(_item(), NOW, week, None)[0]
    assert NOW + timedelta(days=1) == viber_leg_fields(_item(), NOW, week, week)[0]
    assert (
        NOW + timedelta(hours=2)
        == viber_leg_fields(_item(), NOW, NOW + timedelta(hours=2), NOW + timedelta(hours=5))[0]
    )
    until, extra = viber_leg_fields(
        _item(cascade="1", sender="S", text="t"), NOW, week, NOW + timedelta(hours=1)
    )
    assert (week, (NOW + timedelta(hours=1)).isoformat(), "sms", "1") == (
        until,
        extra[EXTRA_VIBER_UNTIL],
        extra[EXTRA_FALLBACK],
        extra[EXTRA_SMS_PARTS],
    )


@pytest.fixture
async def simulator() -> AsyncIterator[ViberSimulator]:
    sim = ViberSimulator(ViberSimulatorConfig(token="tok", callback_delay=0.0))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def _message(phone: str) -> ViberMessage:
    return ViberMessage(id="1", phone=phone, sender="S", text="hi", ttl_seconds=60)


async def test_provider_against_the_simulator(simulator: ViberSimulator) -> None:
    """Accepted, refused (…9003), throttled then accepted (…9005), and a wrong token (retry)."""
    good = HttpViberProvider(HttpViberConfig(token="tok", max_throttle_retries=1), simulator.url)
    wrong = HttpViberProvider(HttpViberConfig(token="bad"), lambda: simulator.url)
    await good.start()
    await wrong.start()
    try:
        verdicts = [
            (await good.send(_message(p))).verdict
            for p in ("79000000000", "79000009003", "79000009005")
        ]
        assert [SendVerdict.ACCEPTED, SendVerdict.REFUSED, SendVerdict.ACCEPTED] == verdicts
        assert SendVerdict.RETRY == (await wrong.send(_message("79000000000"))).verdict
    finally:
        await good.stop()
        await wrong.stop()
    assert 2 == len(simulator.received)


async def test_simulator_http_edges(simulator: ViberSimulator) -> None:
    """Unknown path 404, bad JSON 400, a button half 400, an oversized body 413."""
    auth = {"authorization": "Bearer tok"}
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        answers = [
            (await http.post("/nope", content=b"{}", headers=auth)).status_code,
            (await http.post("/send", content=b"{", headers=auth)).status_code,
            (
                await http.post(
                    "/send",
                    headers=auth,
                    json={"phone": "79000000000", "text": "hi", "button_caption": "Go"},
                )
            ).status_code,
            (await http.post("/send", content=b"x" * 70_000, headers=auth)).status_code,
        ]
    assert [404, 400, 400, 413] == answers
