"""G1-G3 over real HTTP: every send form, the spec's examples and sloppy variants."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.store.schema import messages

from .conftest import GetPlatform


async def _rows(platform: GetPlatform, ids: list[int]) -> dict[int, dict[str, object]]:
    async with platform.runtime.stores.db.read() as conn:
        rows = await conn.execute(select(messages).where(messages.c.id.in_(ids)))
        return {r.id: dict(r._mapping) for r in rows}


async def test_docs_example_sends_one_sms_and_answers_its_id(platform: GetPlatform) -> None:
    """``/sendsms.php?user&pwd&sadr&dadr&text``: the body is the bare id, delivered later."""
    await platform.account("alice", any_sender=True)
    body = await platform.get_text(
        **platform.user("alice"), sadr="Shop", dadr="79001234567", text="hello"
    )
    assert body.isdigit()
    id_sms = int(body)
    assert {id_sms: MessageStatus.DELIVERED} == await platform.waiter.final([id_sms])
    row = (await _rows(platform, [id_sms]))[id_sms]
    assert ("79001234567", "Shop", "hello", "sms") == (
        row["phone"],
        row["sender"],
        row["text"],
        row["channel"],
    )


async def test_several_numbers_answer_ids_in_dadr_order(platform: GetPlatform) -> None:
    """``dadr=a,b,c`` (spaces and a trailing comma tolerated): one id per number, in order,
    with no ``,0`` tail."""
    await platform.account("bob", any_sender=True)
    body = await platform.get_text(
        **platform.token("bob"),
        sadr="Shop",
        dadr="79001230001, 79001230002,79001230003,",
        text="hi",
    )
    ids = [int(i) for i in body.split(",")]
    assert 3 == len(ids) and ids == sorted(ids)
    rows = await _rows(platform, ids)
    assert ["79001230001", "79001230002", "79001230003"] == [rows[i]["phone"] for i in ids]


async def test_default_validity_is_two_days(platform: GetPlatform) -> None:
    """Without ``validity_period`` the message lives 2 days; with it, until that local time."""
    await platform.account("carol", any_sender=True)
    creds = platform.token("carol")
    now = platform.clock.now()
    first = int(await platform.get_text(**creds, sadr="Shop", dadr="79001239004", text="a"))
    second = int(
        await platform.get_text(
            **creds, sadr="Shop", dadr="79001239004", text="b", validity_period="2030-01-02 13:00"
        )
    )
    rows = await _rows(platform, [first, second])
    lifetime = rows[first]["valid_until"] - now  # type: ignore[operator]
    assert timedelta(days=2) - timedelta(minutes=1) < lifetime <= timedelta(days=2, minutes=1)
    assert "2030-01-02 10:00:00" == rows[second]["valid_until"].strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[attr-defined]


async def test_post_with_form_body_and_query_works_like_get(platform: GetPlatform) -> None:
    """POST with the same parameters as a form (or in the query) is the same send."""
    await platform.account("dave", any_sender=True)
    creds = platform.token("dave")
    r = await platform.http.post(
        "/sendsms.php", data={**creds, "sadr": "Shop", "dadr": "79001234567", "text": "Код: 1"}
    )
    assert 200 == r.status_code and r.text.isdigit()
    r2 = await platform.http.post(
        "/sendsms.php", params={**creds, "sadr": "Shop", "dadr": "79001234568", "text": "x"}
    )
    assert r2.text.isdigit()
    rows = await _rows(platform, [int(r.text)])
    assert "Код: 1" == rows[int(r.text)]["text"]


async def test_unencoded_request_line_from_a_raw_socket(platform: GetPlatform) -> None:
    """Cyrillic bytes, spaces and ``Код: 1234`` sent raw in the request line, no type_send_1."""
    await platform.account("eve", any_sender=True)
    line = (
        "GET /sendsms.php?user=eve&pwd=pw-eve&sadr=Shop&dadr=79001234567"
        "&text=Ваш Код: 1234 #1 HTTP/1.1"
    ).encode()
    status, body = await platform.raw(line)
    assert 200 == status
    id_sms = int(body)
    rows = await _rows(platform, [id_sms])
    assert ("Ваш Код: 1234 #1", "sms") == (rows[id_sms]["text"], rows[id_sms]["channel"])


async def test_plus_means_space_and_cp1251_escapes(platform: GetPlatform) -> None:
    """``text=Hello+world`` is "Hello world"; ``%CA%EE%E4`` (Windows-1251) is "Код"."""
    await platform.account("fay", any_sender=True)
    status, body = await platform.raw(
        b"GET /sendsms.php?user=fay&pwd=pw-fay&sadr=Shop&dadr=79001234567&text=Hello+world HTTP/1.1"
    )
    status2, body2 = await platform.raw(
        b"GET /sendsms.php?user=fay&pwd=pw-fay&sadr=Shop&dadr=79001234567&text=%CA%EE%E4 HTTP/1.1"
    )
    assert (200, 200) == (status, status2)
    rows = await _rows(platform, [int(body), int(body2)])
    assert ["Hello world", "Код"] == [rows[int(body)]["text"], rows[int(body2)]["text"]]


async def test_token_authenticates_a_send(platform: GetPlatform) -> None:
    """``token`` replaces ``user`` + ``pwd``."""
    creds = await platform.account("gus", any_sender=True)
    body = await platform.get_text(token=creds["token"], sadr="Shop", dadr="79001234567", text="t")
    assert body.isdigit()


async def test_viber_parameters_reach_the_send_item(platform: GetPlatform) -> None:
    """G2: ``type_send_1=viber`` with sender/text/button/action/image_viber is stored as a Viber
    message whose extra fields keep the parameter names."""
    await platform.account("hal", any_sender=True)
    await platform.runtime.admin.set_price("7", Money.parse("0.5"), "Russia", Channel.VIBER)
    body = await platform.get_text(
        **platform.token("hal"),
        dadr="79001234567",
        type_send_1="viber",
        sender_viber="Shop",
        text_viber="Скидка 10%",
        button_viber="Go",
        action_viber="https://ex.com/a?b=1",
        image_viber="https://ex.com/i.png",
    )
    rows = await _rows(platform, [int(body)])
    row = rows[int(body)]
    assert ("viber", "Shop", "Скидка 10%") == (row["channel"], row["sender"], row["text"])
    expected = {
        "sender_viber": "Shop",
        "text_viber": "Скидка 10%",
        "button_viber": "Go",
        "action_viber": "https://ex.com/a?b=1",
        "image_viber": "https://ex.com/i.png",
    }
    extra = json.loads(str(row["extra"]))
    assert expected == {key: extra[key] for key in expected}


async def test_cascade_parameters_parse_into_item_and_recipient(platform: GetPlatform) -> None:
    """G3: ``type_send_2=sms`` with ``sadr``/``text`` and ``validity_period_viber`` become the
    item's fallback and the recipient's Viber lifetime (parsed without the database)."""
    from smsrelay.api.get_dialect import parse_send
    from smsrelay.domain.accounts import Account, Lang

    account = Account(
        id=1, login="x", lang=Lang.RU, locked=False, any_sender=True, balance=Money(0)
    )
    params = {
        "user": "x",
        "pwd": "y",
        "dadr": "79001234567,380441234567",
        "type_send_1": "Viber",
        "sender_viber": "Shop",
        "text_viber": "v",
        "validity_period_viber": "2030-01-01 10:00",
        "type_send_2": "sms",
        "sadr": "ShopSMS",
        "text": "fallback",
        "name_delivery": "Рассылка",
    }
    command = parse_send(params, account, platform.clock.now(), 10)
    (item,) = command.items
    assert (Channel.VIBER, Channel.SMS, "ShopSMS", "fallback") == (
        item.channel,
        item.fallback,
        item.sender,
        item.text,
    )
    assert {"sender_viber": "Shop", "text_viber": "v", "name_delivery": "Рассылка"} == item.extra
    assert ["79001234567", "380441234567"] == [r.phone for r in item.recipients]
    assert "2030-01-01 10:00" == item.recipients[0].validity_period_viber.strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]
