"""Money, idempotency and per-recipient rules, through the real HTTP API and database."""

from __future__ import annotations

import asyncio

from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.senders import Sender, SenderState

from .conftest import Platform


async def test_client_id_sms_is_idempotent(platform: Platform) -> None:
    """The same client_id_sms answers the earlier id_sms, sends nothing and charges nothing."""
    await platform.account("kim", balance="10", any_sender=True)
    first = await platform.send("kim", "79001234567", client_id_sms="abc-1")
    again = await platform.send("kim", "79001234567", client_id_sms="abc-1")
    assert first["id_sms"] == again["id_sms"]
    assert "9" == (await platform.balance("kim"))["money"]


async def test_client_id_sms_numeric_and_string_are_the_same_key(platform: Platform) -> None:
    """client_id_sms is opaque: 101 and "101" are one key (spec §1.5)."""
    await platform.account("kira", balance="10", any_sender=True)
    first = await platform.send("kira", "79001234567", client_id_sms=101)
    again = await platform.send("kira", "79001234567", client_id_sms="101")
    assert first["id_sms"] == again["id_sms"]


async def test_concurrent_duplicates_get_one_message(platform: Platform) -> None:
    """Twenty concurrent requests with one client_id_sms: one message, one charge, one id."""
    await platform.account("lee", balance="10", any_sender=True)
    answers = await asyncio.gather(
        *(platform.send("lee", "79001234567", client_id_sms="same") for _ in range(20))
    )
    assert 1 == len({a["id_sms"] for a in answers})
    assert "9" == (await platform.balance("lee"))["money"]


async def test_concurrent_requests_never_overdraw(platform: Platform) -> None:
    """Balance for 10 parts, 30 concurrent one-part sends: exactly 10 accepted, balance 0."""
    await platform.account("max", balance="10", any_sender=True)
    answers = await asyncio.gather(*(platform.send("max", "79001234567") for _ in range(30)))
    accepted = [a for a in answers if a.get("state") == "send"]
    refused = [a for a in answers if "error" in a]
    assert (10, 20) == (len(accepted), len(refused))
    assert {"Закончились SMS."} == {a["error"] for a in refused}
    assert "0" == (await platform.balance("max"))["money"]


async def test_out_of_money_mid_request(platform: Platform) -> None:
    """Money for two of three phones: the first two pass, the third is refused."""
    await platform.account("ned", balance="2", any_sender=True)
    body = {
        **platform.creds["ned"],
        "message": [
            {
                "type_send_1": "sms",
                "sender": "S",
                "text": "t",
                "phones": [
                    {"phone": "79001234567"},
                    {"phone": "79001234568"},
                    {"phone": "79001234569"},
                ],
            }
        ],
    }
    info = (await platform.post("/json", body))["information"]
    assert ["send", "send", None] == [e.get("state") for e in info]
    assert "Закончились SMS." == info[2]["error"]


async def test_recipient_errors_use_the_spec_literals(platform: Platform) -> None:
    """Each per-recipient refusal answers its §1.9 literal (Russian by default)."""
    await platform.account("olga", balance="100")
    rt = platform.runtime
    acc = await rt.stores.accounts.find_by_login("olga")
    assert acc is not None
    await rt.stores.accounts.set_sender(acc.account.id, Sender("Approved", SenderState.COMPLETED))
    await rt.stores.accounts.set_sender(acc.account.id, Sender("Pending", SenderState.ORDER))
    await rt.stores.accounts.add_stop(acc.account.id, "79005550000", rt.clock.now())
    cases = [
        (
            {"sender": "Approved", "text": "t", "phone": "79005550000"},
            "Номер телефона присутствует в стоп-листе.",
        ),
        ({"sender": "", "text": "t", "phone": "79001234567"}, "Нет отправителя."),
        (
            {"sender": "ThisIsWayTooLongSender", "text": "t", "phone": "79001234567"},
            "Отправитель не должен превышать 15 символов для цифровых номеров"
            " и 11 символов для буквенно-числовых.",
        ),
        (
            {"sender": "Pending", "text": "t", "phone": "79001234567"},
            "Отправитель не прошел модерацию.",
        ),
        ({"sender": "Unknown", "text": "t", "phone": "79001234567"}, "Такого отправителя Нет."),
        ({"sender": "Approved", "text": "", "phone": "79001234567"}, "Нет текста сообщения."),
        ({"sender": "Approved", "text": "t", "phone": "4412345678"}, "Данное направление закрыто."),
        ({"sender": "Approved", "text": "t", "phone": ""}, "Укажите номер телефона."),
        (
            {"sender": "Approved", "text": "t", "phone": "123456789012345"},
            "Номер телефона должен быть меньше 15 символов.",
        ),
    ]
    for fields, literal in cases:
        info = await platform.send("olga", fields["phone"], fields["text"], fields["sender"])
        assert {"error": literal} == info, fields
    ok = await platform.send("olga", "79001234567", "t", "Approved")
    assert "send" == ok["state"]


async def test_english_account_gets_english_literals(platform: Platform) -> None:
    """An account whose language is English gets the EN J1 strings."""
    from smsrelay.domain.accounts import Lang

    await platform.account("paul", balance="0", any_sender=True, lang=Lang.EN)
    info = await platform.send("paul", "79001234567")
    assert {"error": "Out of SMS"} == info


async def test_locked_account(platform: Platform) -> None:
    """A locked account's sends are refused per recipient; state and balance refuse the document."""
    await platform.account("quinn", balance="10", any_sender=True)
    sent = await platform.send("quinn", "79001234567")
    await platform.runtime.admin.set_locked("quinn", True)
    assert {"error": "Аккаунт заблокирован."} == await platform.send("quinn", "79001234567")
    assert {"error": "Ваш аккаунт заблокирован"} == await platform.post(
        "/json/balance.php", platform.creds["quinn"]
    )
    assert {"error": "Ваш аккаунт заблокирован"} == await platform.post(
        "/json/state.php", {**platform.creds["quinn"], "id_sms": sent["id_sms"]}
    )


async def test_document_errors(platform: Platform) -> None:
    """Bad JSON, bad credentials and an empty body answer the §1.8 literals with HTTP 200."""
    await platform.account("rita", any_sender=True)
    r = await platform.post_raw("/json", b"{not json")
    assert (200, {"error": "Неправильный формат JSON документа"}) == (r.status_code, r.json())
    r = await platform.post_raw("/json", b'{"login":"rita","password":"wrong","message":[]}')
    assert {"error": "Неправильный логин или пароль"} == r.json()
    r = await platform.post_raw("/json/balance.php", b"")
    assert {"error": "POST данные отсутствуют"} == r.json()


async def test_token_authentication_and_bogus_content_type(platform: Platform) -> None:
    """A token alone authenticates; the body is parsed whatever the Content-Type says."""
    creds = await platform.account("sam", balance="3", any_sender=True)
    r = await platform.post_raw(
        "/json/balance.php",
        ('{"token":"' + creds["token"] + '"}').encode(),
        {"Content-type": "text/json; charset=utf-8;"},
    )
    assert "3" == r.json()["money"]


async def test_price_follows_longest_prefix(platform: Platform) -> None:
    """A longer prefix overrides the country price; the charge follows it."""
    await platform.account("tom", balance="100", any_sender=True)
    await platform.runtime.admin.set_price("7900", Money.parse("3.5"), "Special", Channel.SMS)
    info = await platform.send("tom", "79001234567")
    state = await platform.state("tom", info["id_sms"], detail=1)
    assert 3.5 == state["price"]
    assert "96.5" == (await platform.balance("tom"))["money"]


async def test_state_accepts_array_and_many_ids(platform: Platform) -> None:
    """J2 as a one-element array with several ids answers one object per id, in order."""
    await platform.account("uma", balance="10", any_sender=True)
    a = (await platform.send("uma", "79001234567"))["id_sms"]
    b = (await platform.send("uma", "79001234568"))["id_sms"]
    await platform.waiter.final([a, b])
    rows = await platform.post(
        "/json/state.php", [{**platform.creds["uma"], "id_sms": [b, str(a)], "detail": "1"}]
    )
    assert [b, a] == [r["id_sms"] for r in rows]
    assert ["deliver", "deliver"] == [r["state"] for r in rows]
