"""X2 ``/xml/state.php`` shapes and the document-level errors of every endpoint: missing POST
data, malformed XML, billion laughs, XXE, wrong credentials - in the platform's language."""

from __future__ import annotations

import re

from smsrelay.domain.accounts import Lang

from .conftest import XmlPlatform, error_doc, inner_of

PHONE = "79033256699"
UNKNOWN = "Сообщение с таким ID не принималось"
XML_PATHS = (
    "/xml",
    "/xml/",
    "/xml/state.php",
    "/xml/balance.php",
    "/xml/originator.php",
    "/xml/add_originator.php",
    "/xml/time.php",
    "/xml/add_balance.php",
)

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<request><security><login value="&lol3;"/><password value="x"/></security></request>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<request><security><login value="&xxe;"/><password value="x"/></security>'
    "<get_state><id_sms>1</id_sms></get_state></request>"
)


async def test_state_of_own_foreign_unknown_and_pending_ids(xmlp: XmlPlatform) -> None:
    """``<id_sms>`` children and raw comma/space separated ids are answered in order; a
    delivered message has its time, per-channel ``sms``, ``num_parts`` and ``price``; a pending
    one ``send`` with ``time=""``; another account's id and an unknown id the §1.7 literal."""
    await xmlp.account("shop", any_sender=True)
    await xmlp.account("other", any_sender=True)
    msg = '<message><sender>Shop</sender><text>hi</text><abonent phone="{}" {}/></message>'
    sent = await xmlp.call("/xml", "shop", msg.format(PHONE, ""))
    later = await xmlp.call("/xml", "shop", msg.format(PHONE, 'time_send="2099-01-01 10:00"'))
    foreign = await xmlp.call("/xml", "other", msg.format(PHONE, ""))
    (mine,), (pending,), (theirs,) = (
        [int(x) for x in re.findall(r'id_sms="(\d+)"', b)] for b in (sent, later, foreign)
    )
    await xmlp.p.waiter.final([mine])
    inner = (
        f"<get_state><id_sms>{mine}</id_sms><id_sms>{theirs}</id_sms></get_state>"
        f"<get_state>{pending}, 999999 </get_state>"
    )
    body = inner_of(await xmlp.call("/xml/state.php", "shop", inner))
    delivered = re.fullmatch(
        rf'<state id_sms="{mine}" time="(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d)" sms="deliver" '
        r'num_parts="1" price="1">deliver</state>(.*)',
        body,
    )
    assert delivered is not None, body
    assert (
        f'<state id_sms="{theirs}" time="">{UNKNOWN}</state>'
        f'<state id_sms="{pending}" time="" sms="send" num_parts="1" price="1">send</state>'
        f'<state id_sms="999999" time="">{UNKNOWN}</state>'
    ) == delivered.group(2)


async def test_document_errors_of_every_endpoint(xmlp: XmlPlatform) -> None:
    """Empty body and GET: ``POST данные отсутствуют``; not XML, billion laughs, XXE, a bad
    id or date: ``Неправильный формат XML документа``; wrong or missing credentials:
    ``Неправильный логин или пароль`` - each as a well-formed error document, status 200."""
    await xmlp.account("shop", any_sender=True)
    missing = error_doc("POST данные отсутствуют")
    bad = error_doc("Неправильный формат XML документа")
    creds = error_doc("Неправильный логин или пароль")
    wrong = (
        '<request><security><login value="shop"/><password value="nope"/></security>{}</request>'
    )
    bodies = {
        "/xml": "<message><sender>S</sender><text>t</text><abonent phone='79001234567'/></message>",
        "/xml/state.php": "<get_state><id_sms>1</id_sms></get_state>",
        "/xml/add_originator.php": "<originator>Shop</originator>",
        "/xml/add_balance.php": '<client login_client="x" balance="1" type_transaction="manager"/>',
    }
    for path in XML_PATHS:
        for body, expected in (
            (b"", missing),
            (b"  \n", missing),
            (b"<request><security>", bad),
            (b"not xml at all", bad),
            (BILLION_LAUGHS.encode(), bad),
            (XXE.encode(), bad),
            (wrong.format(bodies.get(path, "")).encode(), creds),
            (f"<request>{bodies.get(path, '')}</request>".encode(), creds),  # no security
        ):
            r = await xmlp.post(path, body)
            assert (200, expected) == (r.status_code, r.text), (path, body)
        r = await xmlp.p.http.get(path)
        assert (200, missing) == (r.status_code, r.text)
    for path, inner in (
        ("/xml/state.php", "<get_state><id_sms>12x</id_sms></get_state>"),
        ("/xml/state.php", "<nothing/>"),
        (
            "/xml",
            "<message><sender>S</sender><text>t</text>"
            f'<abonent phone="{PHONE}" time_send="tomorrow"/></message>',
        ),
        (
            "/xml",
            '<message type="fax"><sender>S</sender><text>t</text>'
            f'<abonent phone="{PHONE}"/></message>',
        ),
        ("/xml/add_originator.php", ""),
        ("/xml/add_originator.php", '<originator><file id="abc"/>Shop</originator>'),
        ("/xml/add_balance.php", '<client login_client="x" balance="1" type_transaction="gift"/>'),
        (
            "/xml/add_balance.php",
            '<client login_client="x" balance="-5" type_transaction="manager"/>',
        ),
        ("/xml/add_balance.php", '<client login_client="x" type_transaction="manager"/>'),
    ):
        assert bad == await xmlp.call(path, "shop", inner), (path, inner)


async def test_english_account_and_error_status_of_unknown_account(xmlp: XmlPlatform) -> None:
    """An English account's refusals are in English once it is known; before that (bad
    credentials) the platform's default language answers."""
    await xmlp.account("en", lang=Lang.EN)
    assert "<error>Incorrect XML document format</error>" == inner_of(
        await xmlp.call(
            "/xml/add_originator.php", "en", '<originator><file id="77"/>Shop</originator>'
        )
    )
    r = await xmlp.post(
        "/xml/balance.php", '<request><security><token value="nope"/></security></request>'
    )
    assert error_doc("Неправильный логин или пароль") == r.text
