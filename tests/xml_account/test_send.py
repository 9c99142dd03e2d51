"""X1 ``/xml`` over real HTTP: raw bodies shaped like the spec's examples, every kind, every
per-recipient literal in both languages, a plain SMS delivered through the simulator."""

from __future__ import annotations

import json
import re

from smsrelay.domain.accounts import Lang
from smsrelay.domain.money import Money
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.domain.status import MessageStatus

from .conftest import XmlPlatform, inner_of

PHONE = "79033256699"


def ids_of(body: str) -> list[int]:
    return [int(x) for x in re.findall(r'id_sms="(\d+)"', body)]


async def test_en_example_shape_with_security_last_is_delivered(xmlp: XmlPlatform) -> None:
    """The EN example's shape (security LAST, several messages and abonents, curly-quoted
    attribute, literal ``\\n``, bogus Content-Type lines) is accepted; one ``information`` per
    abonent in order, and the plain SMS reach ``deliver`` through the simulator."""
    await xmlp.account("shop", any_sender=True)
    body = (
        '<?xml version="1.0" encoding="utf-8" ?>\n<request>\n'
        '  <message type_send_1="sms" type="sms">\n'
        "    <sender>Sender 1</sender><text>Line one\\nline two</text>\n"
        f'    <abonent phone="{PHONE}" number_sms="1" client_id_sms="101" time_send="" '
        'validity_period="" />\n'
        '    <abonent phone="79033256698" number_sms="2" client_id_sms="102\u201d />\n'
        "  </message>\n"
        "  <message>\n"
        "    <sender>Sender 2</sender><text>Message Text 2</text>\n"
        '    <abonent phone="79033256697" number_sms="11" />\n'
        "  </message>\n"
        f"  {xmlp.security('shop')}\n</request>"
    )
    headers = {"Content-type": "text/xml", "charset": "utf-8", "Expect": ""}
    r = await xmlp.post("/xml", body, headers)
    assert 200 == r.status_code
    ids = ids_of(r.text)
    expected = "".join(
        f'<information number_sms="{n}" id_sms="{i}" parts="1" price="1" price_sum="1">'
        "send</information>"
        for n, i in zip(("1", "2", "11"), ids, strict=True)
    )
    assert expected == inner_of(r.text)
    finals = await xmlp.p.waiter.final(ids)
    assert {i: MessageStatus.DELIVERED for i in ids} == finals
    assert "Line one\nline two" == (await xmlp.stored(ids[0])).text
    assert "102" == (await xmlp.stored(ids[1])).client_id_sms


async def test_trailing_slash_and_token(xmlp: XmlPlatform) -> None:
    """``/xml/`` serves X1 too; a token replaces login+password; a repeated client_id_sms
    answers the earlier id_sms."""
    await xmlp.account("shop", any_sender=True)
    inner = (
        "<message><sender>Shop</sender><text>hi</text>"
        f'<abonent phone="{PHONE}" number_sms="7" client_id_sms="x1"/></message>'
    )
    first = await xmlp.call("/xml/", "shop", inner, token=True)
    again = await xmlp.call("/xml", "shop", inner, token=False)
    assert ids_of(first) == ids_of(again)
    assert 1 == len(ids_of(first))


async def test_each_kind_is_stored_with_its_fields(xmlp: XmlPlatform) -> None:
    """flashsms (and the ``flash_sms`` spelling), silence with no text, wappush with its url,
    vcard with name and fields, and a ``type_send_2`` fallback: accepted and stored with their
    kind and the XML-named extra fields."""
    await xmlp.account("shop", any_sender=True)
    ab = f'<abonent phone="{PHONE}" />'
    inner = (
        f'<message type="flashsms"><sender>Shop</sender><text>flash</text>{ab}</message>'
        f'<message type="flash_sms"><sender>Shop</sender><text>flash2</text>{ab}</message>'
        f'<message type="silence"><sender>Shop</sender><text></text>{ab}</message>'
        '<message type="wappush"><sender>Shop</sender><text>See</text>'
        f"<url>http://example.com/a</url>{ab}</message>"
        '<message type="vcard"><sender>Shop</sender><name>Ivan</name>'
        '<phone cell="79033256699" work="74951234567" /><email>i@example.com</email>'
        '<address city="Moscow" street="Tverskaya 1" />'
        f"<organization>ACME</organization>{ab}</message>"
        '<message type_send_1="sms" type_send_2="viber"><sender>Shop</sender><text>t</text>'
        f"<translite>1</translite><name_delivery>Camp</name_delivery>{ab}</message>"
    )
    body = await xmlp.call("/xml", "shop", inner)
    ids = ids_of(body)
    assert 6 == len(ids)
    rows = [await xmlp.stored(i) for i in ids]
    assert ["flashsms", "flashsms", "silence", "wappush", "vcard", "sms"] == [r.kind for r in rows]
    assert "" == rows[2].text
    assert {"url": "http://example.com/a"} == json.loads(rows[3].extra)
    assert {
        "name": "Ivan",
        "phone_cell": "79033256699",
        "phone_work": "74951234567",
        "email": "i@example.com",
        "address_city": "Moscow",
        "address_street": "Tverskaya 1",
        "organization": "ACME",
    } == json.loads(rows[4].extra)
    extra = json.loads(rows[5].extra)
    assert ("1", "Camp") == (extra["translite"], extra["name_delivery"])


RU = {
    2: "Закончились SMS.",
    3: "Аккаунт заблокирован.",
    4: "Укажите номер телефона.",
    5: "Номер телефона присутствует в стоп-листе.",
    7: "Данное направление закрыто.",
    9: "Нет отправителя.",
    10: "Отправитель не должен превышать 15 символов для цифровых номеров"
    " и 11 символов для буквенно-числовых.",
    11: "Номер телефона должен быть меньше 15 символов.",
    12: "Нет текста сообщения.",
    13: "Нет ссылки.",
    14: "Укажите название контакта и, хотя бы один параметр для визитной карточки.",
    15: "Такого отправителя Нет.",
    16: "Отправитель не прошел модерацию.",
    100: "Текст сообщения слишком длинный.",  # ours: more parts than the platform allows
}
EN = {
    2: "Out of SMS",
    3: "Account blocked",
    4: "Specify phone number",
    5: "Phone number is on the stop list",
    7: "This destination is closed",
    9: "No sender",
    10: "The sender must not exceed 15 characters for numeric numbers"
    " and 11 characters for alphanumeric numbers",
    11: "Phone number must be less than 15 characters",
    12: "No message text",
    13: "No link",
    14: "Provide the contact name and at least one parameter for a business card",
    15: "There is no such sender",
    16: "The sender has not been moderated",
    100: "Message text is too long",
}


def _error_document() -> str:
    """One message per §1.9 row that a request can provoke (rows 2, 3 need account state)."""

    def msg(
        n: int,
        sender: str = "Shop",
        text: str = "hi",
        phone: str = PHONE,
        kind: str = "sms",
        more: str = "",
    ) -> str:
        return (
            f'<message type="{kind}"><sender>{sender}</sender><text>{text}</text>{more}'
            f'<abonent phone="{phone}" number_sms="{n}" /></message>'
        )

    return "".join(
        [
            msg(4, phone=""),
            msg(5, phone="79990000005"),
            msg(7, phone="4420712345678"),
            msg(9, sender=""),
            msg(10, sender="ABCDEFGHIJKL"),
            msg(11, phone="790332566991234"),
            msg(12, text=""),
            msg(13, kind="wappush"),
            msg(14, kind="vcard", more="<name>Ivan</name>"),
            msg(15, sender="Nobody"),
            msg(16, sender="Pending"),
            msg(100, text="x" * 2000),
        ]
    )


async def test_every_recipient_literal_in_both_languages(xmlp: XmlPlatform) -> None:
    """Each refused recipient gets its §1.9 text (XML variant) in the account's language,
    with ``number_sms`` and no ``id_sms``/``parts``."""
    for login, lang, table in (("ru", Lang.RU, RU), ("en", Lang.EN, EN)):
        await xmlp.account(login, lang=lang)
        record = await xmlp.runtime.stores.accounts.find_by_login(login)
        accounts = xmlp.runtime.stores.accounts
        await accounts.set_sender(record.account.id, Sender("Shop", SenderState.COMPLETED))
        await accounts.set_sender(record.account.id, Sender("Pending", SenderState.ORDER))
        await accounts.add_stop(record.account.id, "79990000005", xmlp.p.clock.now())
        body = await xmlp.call("/xml", login, _error_document())
        expected = "".join(
            f'<information number_sms="{n}">{table[n]}</information>'
            for n in (4, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 100)
        )
        assert expected == inner_of(body)


async def test_out_of_money_and_locked_account(xmlp: XmlPlatform) -> None:
    """No money: row 2. A locked account: every recipient row 3 (the send is not a document
    error), while the other XML endpoints refuse the document as locked."""
    one = (
        "<message><sender>Shop</sender><text>hi</text>"
        f'<abonent phone="{PHONE}" number_sms="1"/></message>'
    )
    await xmlp.account("poor", balance="0", any_sender=True)
    assert f'<information number_sms="1">{RU[2]}</information>' == inner_of(
        await xmlp.call("/xml", "poor", one)
    )
    await xmlp.account("lockedru", any_sender=True)
    await xmlp.account("lockeden", any_sender=True, lang=Lang.EN)
    for login in ("lockedru", "lockeden"):
        await xmlp.runtime.admin.set_locked(login, True)
    assert f'<information number_sms="1">{RU[3]}</information>' == inner_of(
        await xmlp.call("/xml", "lockedru", one)
    )
    assert f'<information number_sms="1">{EN[3]}</information>' == inner_of(
        await xmlp.call("/xml", "lockeden", one)
    )
    inners = {
        "/xml/state.php": "<get_state><id_sms>1</id_sms></get_state>",
        "/xml/balance.php": "",
        "/xml/originator.php": "",
        "/xml/add_originator.php": "<originator>Shop</originator>",
        "/xml/time.php": "",
        "/xml/add_balance.php": '<client login_client="x" balance="1" type_transaction="manager"/>',
    }
    for path, inner in inners.items():
        assert "<error>Ваш аккаунт заблокирован</error>" == inner_of(
            await xmlp.call(path, "lockedru", inner)
        )
        assert "<error>Your account is locked</error>" == inner_of(
            await xmlp.call(path, "lockeden", inner)
        )
    upload = await xmlp.p.http.post(
        "/xml/file.php", data={"token": xmlp.tokens["lockedru"]}, files={"file": ("a", b"x")}
    )
    assert "-Invalid login or password" == upload.text


async def test_balance_moves_with_sends(xmlp: XmlPlatform) -> None:
    """X4: ``money`` with its currency first, then one ``sms`` count per area (J4's numbers);
    a Viber area carries ``type_sms="viber"``; the counts follow the money."""
    await xmlp.account("shop", balance="10", any_sender=True)
    from smsrelay.domain.messages import Channel

    await xmlp.runtime.admin.set_price("7", Money.parse("2"), "Russia", Channel.VIBER)
    body = inner_of(await xmlp.call("/xml/balance.php", "shop", ""))
    assert body.startswith('<money currency="RUR">10</money>')
    assert {
        '<sms area="Russia">10</sms>',
        '<sms area="Ukraine">5</sms>',
        '<sms area="Russia" type_sms="viber">5</sms>',
    } == set(re.findall(r"<sms[^>]*>[^<]*</sms>", body))
    await xmlp.call(
        "/xml",
        "shop",
        f'<message><sender>Shop</sender><text>x</text><abonent phone="{PHONE}"/></message>',
    )
    body = inner_of(await xmlp.call("/xml/balance.php", "shop", ""))
    assert body.startswith('<money currency="RUR">9</money>')
    assert '<sms area="Ukraine">4</sms>' in body
