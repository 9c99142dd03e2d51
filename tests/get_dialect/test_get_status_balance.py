"""G4 status, G6 balance, authentication and every plain-text literal of the GET list (§1.9)."""

from __future__ import annotations

from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.senders import Sender, SenderState

from .conftest import GetPlatform

UNKNOWN = "Сообщение с таким ID не принималось"
BAD_LOGIN = "Неверный логин или пароль"
CHECK_BALANCE = "Проверьте свой баланс или корректность номера получателя."
LOCKED = "Ваш аккаунт заблокирован."
SENDER_RULE = (
    "Отправитель не должен превышать 15 символов для цифровых номеров"
    " и 11 символов для буквенно-числовых."
)


async def test_status_words_after_delivery_through_the_simulator(platform: GetPlatform) -> None:
    """``smsid`` answers the bare §1.7 word: ``send`` while pending, then the final word."""
    await platform.account("ann", any_sender=True)
    auth = platform.token("ann")
    phones = {
        "79001230001": "deliver",
        "79001239001": "not_deliver",
        "79001239002": "expired",
        "79001239004": "send",
    }
    body = await platform.get_text(**auth, sadr="Shop", dadr=",".join(phones), text="s")
    ids = [int(i) for i in body.split(",")]
    await platform.waiter.final(ids[:3])
    words = [await platform.get_text(**auth, smsid=str(i)) for i in ids]
    assert list(phones.values()) == words


async def test_status_with_user_and_pwd_like_the_browser_example(platform: GetPlatform) -> None:
    """``/sendsms.php?user=login&pwd=password&smsid=ID_SMS`` answers the word alone."""
    await platform.account("ben", any_sender=True)
    id_sms = int(
        await platform.get_text(**platform.token("ben"), sadr="Shop", dadr="79001239004", text="x")
    )
    assert "send" == await platform.get_text(**platform.user("ben"), smsid=str(id_sms))


async def test_unknown_or_foreign_id_has_the_unknown_literal(platform: GetPlatform) -> None:
    """Another account's id, a never-issued id and a non-number all answer the literal."""
    await platform.account("cat", any_sender=True)
    await platform.account("dan", any_sender=True)
    id_sms = await platform.get_text(
        **platform.token("cat"), sadr="Shop", dadr="79001239004", text="x"
    )
    for smsid in (id_sms, "999999", "abc", "", "99999999999999999999"):
        assert UNKNOWN == await platform.get_text(**platform.token("dan"), smsid=smsid)


async def test_balance_is_two_lines(platform: GetPlatform) -> None:
    """``balance=1``: amount, newline, currency; spent money is reflected."""
    await platform.account("eli", balance="1000", any_sender=True)
    assert "1000\nRUR" == await platform.get_text(**platform.token("eli"), balance="1")
    await platform.get_text(**platform.token("eli"), sadr="Shop", dadr="79001239004", text="x")
    assert "999\nRUR" == await platform.get_text(**platform.user("eli"), balance="1")


async def test_bad_or_missing_credentials(platform: GetPlatform) -> None:
    """Wrong password, unknown token, nothing at all: the GET "Неверный" literal."""
    await platform.account("fox", any_sender=True)
    for params in ({"user": "fox", "pwd": "wrong"}, {"token": "nope"}, {}, {"user": "fox"}):
        assert BAD_LOGIN == await platform.get_text(**params, balance="1")
        assert BAD_LOGIN == await platform.get_text(
            **params, sadr="S", dadr="79001234567", text="x"
        )


async def test_locked_account_is_refused_everywhere(platform: GetPlatform) -> None:
    """A locked account gets "Ваш аккаунт заблокирован." for send, status and balance."""
    await platform.account("gil", any_sender=True)
    await platform.runtime.admin.set_locked("gil", True)
    auth = platform.token("gil")
    assert LOCKED == await platform.get_text(**auth, sadr="Shop", dadr="79001234567", text="x")
    assert LOCKED == await platform.get_text(**auth, smsid="1")
    assert LOCKED == await platform.get_text(**auth, balance="1")


async def test_every_send_literal(platform: GetPlatform) -> None:
    """Each refusal of the §1.9 GET list, as the whole plain-text body."""
    await platform.account("hop", balance="1", any_sender=True)
    await platform.account("ivy", balance="10")
    await platform.runtime.stores.accounts.set_sender(
        (await platform.runtime.stores.accounts.find_by_login("ivy")).account.id,  # type: ignore[union-attr]
        Sender("Moderated", SenderState.ORDER),
    )
    hop = (await platform.runtime.stores.accounts.find_by_login("hop")).account  # type: ignore[union-attr]
    await platform.runtime.stores.accounts.add_stop(hop.id, "79001234000", platform.clock.now())
    auth = platform.token("hop")
    ok = {"sadr": "Shop", "text": "hi"}
    cases = [
        ({**ok}, "Не введен номер телефона."),
        ({**ok, "dadr": " "}, "Не введен номер телефона."),
        ({**ok, "dadr": "abc"}, "Укажите номер телефона."),
        ({**ok, "dadr": "79001234567,,79001234568"}, "Укажите номер телефона."),
        ({**ok, "dadr": "7900123456789012"}, CHECK_BALANCE),  # GET list: check the number
        ({**ok, "dadr": "79001234000"}, "Номер телефона присутствует в стоп-листе."),
        ({**ok, "dadr": "19001234567"}, CHECK_BALANCE),  # no price: destination closed
        ({"text": "hi", "dadr": "79001234567"}, "Нет отправителя."),
        ({**ok, "sadr": "TooLongSenderName", "dadr": "79001234567"}, SENDER_RULE),
        ({"sadr": "Shop", "dadr": "79001234567"}, "Нет текста сообщения."),
    ]
    for params, literal in cases:
        assert literal == await platform.get_text(**auth, **params), params
    assert (await platform.get_text(**auth, **ok, dadr="79001239004")).isdigit()  # last rouble
    assert CHECK_BALANCE == await platform.get_text(**auth, **ok, dadr="79001239004")  # no money
    ivy = platform.token("ivy")
    assert "Такого отправителя нет." == await platform.get_text(**ivy, **ok, dadr="79001234567")
    assert "Отправитель не прошел модерацию." == await platform.get_text(
        **ivy, sadr="Moderated", text="x", dadr="79001234567"
    )


async def test_mixed_numbers_follow_the_documented_rule(platform: GetPlatform) -> None:
    """An invalid number refuses the whole request (nothing sent); a database refusal of one
    number answers ``0`` in its place between the others' ids."""
    await platform.account("jay", balance="100", any_sender=True)
    hop = (await platform.runtime.stores.accounts.find_by_login("jay")).account  # type: ignore[union-attr]
    await platform.runtime.stores.accounts.add_stop(hop.id, "79001234000", platform.clock.now())
    auth = platform.token("jay")
    ok = {"sadr": "Shop", "text": "hi"}
    assert "Укажите номер телефона." == await platform.get_text(
        **auth, **ok, dadr="79001239004,12ab"
    )
    assert "100\nRUR" == await platform.get_text(**auth, balance="1")  # nothing was charged
    body = await platform.get_text(**auth, **ok, dadr="79001239004,79001234000,79001239004")
    first, refused, last = body.split(",")
    assert "0" == refused and first.isdigit() and last.isdigit()


async def test_malformed_values_refuse_the_request(platform: GetPlatform) -> None:
    """A bad date, an unknown channel, a Viber button without its action: format literal."""
    await platform.account("kim", any_sender=True)
    await platform.runtime.admin.set_price("7", Money.parse("1"), "Russia", Channel.VIBER)
    auth = platform.token("kim")
    ok = {"sadr": "Shop", "text": "hi", "dadr": "79001234567"}
    for extra in (
        {"validity_period": "tomorrow"},
        {"type_send_1": "fax"},
        {"type_send_1": "viber", "sender_viber": "Shop", "text_viber": "v", "button_viber": "Go"},
    ):
        r = await platform.get(**auth, **ok, **extra)
        assert (200, "Неправильный формат запроса") == (r.status_code, r.text)
