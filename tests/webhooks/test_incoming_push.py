"""Incoming SMS pushed to the client's webhook (beside X7): X7's shape, signed, acknowledged,
retried, durable; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path
from xml.etree.ElementTree import fromstring

import pytest

from e2e.conftest import Platform, start_platform
from inbound.conftest import inbound_of, x7_body
from smsrelay.domain.accounts import Account
from smsrelay.services.webhooks import WebhookFormat, WebhookRefused, WebhookService
from webhooks.conftest import MANUAL, Push, Receiver


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path, **MANUAL):
        yield p


async def owner(p: Platform, login: str, number: str) -> Account:
    await p.account(login)
    record = await p.runtime.stores.accounts.find_by_login(login)
    assert record is not None
    await inbound_of(p).add_number(record.account.id, number, None)
    return record.account


def service(p: Platform) -> WebhookService:
    return p.runtime.extras["incoming_webhooks"]  # type: ignore[no-any-return]


async def push_once(p: Platform) -> int:
    return await p.runtime.extras["incoming_pusher"].run_once()  # type: ignore[no-any-return]


async def mo(p: Platform, source: str, destination: str, text: str) -> None:
    assert p.runtime.simulator is not None
    await p.runtime.simulator.inject_mo(source, destination, text)
    await inbound_of(p).flushed()


async def test_an_mo_is_pushed_as_x7_json_signed_and_acked(
    platform: Platform, receiver: Receiver
) -> None:
    account = await owner(platform, "alpha", "79990001111")
    await service(platform).set(account, receiver.url("/mo"), secret="s3")
    await mo(platform, "79161234567", "79990001111", "Hello & <you>")
    assert 1 == await push_once(platform)
    [push] = receiver.pushes
    [row] = push.json()
    assert {
        "originator": "79161234567",
        "prefix": "",
        "phone": "79990001111",
        "text": "Hello & <you>",
    } == {k: row[k] for k in ("originator", "prefix", "phone", "text")}
    assert 19 == len(row["date_receive"])
    expected = "sha256=" + hmac.new(b"s3", push.body, hashlib.sha256).hexdigest()
    assert expected == push.headers["x-smsrelay-signature"]
    # acked: nothing more to push; X7 still answers it
    assert 0 == await push_once(platform)
    r = await platform.post_raw("/xml/incoming.php", x7_body("alpha", "2000-01-01 00:00:00"))
    assert [str(row["id_sms"])] == [s.get("id_sms") for s in fromstring(r.content).iter("sms")]


async def test_unacked_pushes_are_retried_and_xml_is_x7s_shape(
    platform: Platform, receiver: Receiver
) -> None:
    account = await owner(platform, "beta", "79990002222")
    await service(platform).set(account, receiver.url(), format=WebhookFormat.XML)

    async def refuse(push: Push) -> tuple[int, bytes]:
        return 500, b"later"

    receiver.handler = refuse
    await mo(platform, "79161234567", "79990002222", "first")
    assert 1 == await push_once(platform)
    root = fromstring(receiver.pushes[0].body)
    [sms] = root.iter("sms")
    assert ("first", "79990002222") == (sms.text, sms.get("phone"))
    platform.clock.advance(60)
    receiver.handler = _ack_xml
    assert 1 == await push_once(platform)
    assert (
        receiver.pushes[0].headers["x-smsrelay-delivery"]
        == (receiver.pushes[1].headers["x-smsrelay-delivery"])
    )
    platform.clock.advance(3600)
    assert 0 == await push_once(platform)


async def _ack_xml(push: Push) -> tuple[int, bytes]:
    ids = "".join(f"<id_sms>{s.get('id_sms')}</id_sms>" for s in fromstring(push.body).iter("sms"))
    return 200, f"<response>{ids}</response>".encode()


async def test_no_webhook_no_push_and_the_guard_refuses(platform: Platform) -> None:
    account = await owner(platform, "gamma", "79990003333")
    await mo(platform, "79161234567", "79990003333", "nobody listens")
    assert 0 == await push_once(platform)
    with pytest.raises(WebhookRefused):
        await service(platform).set(account, "http://169.254.169.254/latest")
