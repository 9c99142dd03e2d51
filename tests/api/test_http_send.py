"""J1 ``POST /json`` over real HTTP: what a client sends and reads back."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from smsrelay.domain.errors import RecipientError as R
from smsrelay.domain.messages import Channel, MessageKind

from .conftest import FIRST_ID, IVAN, JACK, JOHN, ODD, PETR, RACE, REFUSING_PHONES, Api, creds
from .conftest import token_of as token

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON_TYPE = "application/json; charset=utf-8"


def _phone(error: R) -> str:
    return next(p for p, e in REFUSING_PHONES.items() if e is error)


def _send(auth: dict[str, Any], *phones: Any, **message: Any) -> dict[str, Any]:
    body = {"type_send_1": "sms", "sender": "Shop", "text": "hello", **message}
    return {**auth, "message": [{**body, "phones": [{"phone": p} for p in phones]}]}


async def test_docs_example_gets_one_numeric_id_per_phone_in_order(api: Api) -> None:
    """The docs' J1 example: three phones in two messages -> three ``send`` entries."""
    body = (
        b'{"login":"ivan","password":"pw-ivan","message":['
        b'{"type_send_1":"sms","sender":"sender 1","text":"message text 1","phones":['
        b'{"phone":"79612242243","client_id_sms":"101","validity_period":"2001-12-31 15:34:54"},'
        b'{"phone":"79612242244","client_id_sms":"102","validity_period":"2001-12-31 15:34:54"}]},'
        b'{"type_send_1":"sms","sender":" sender 2","text":"message text 2","phones":['
        b'{"phone":"79612242245","client_id_sms":"103","validity_period":"2001-12-31 15:34:54"}]}]}'
    )
    response = await api.post("/json", body)
    expected = (
        b'{"information":[{"state":"send","id_sms":2856677675},'
        b'{"state":"send","id_sms":2856677676},{"state":"send","id_sms":2856677677}]}'
    )
    assert (200, JSON_TYPE, expected) == (
        response.status_code,
        response.headers["content-type"],
        response.content,
    )


async def test_trailing_slash_path_is_the_same_endpoint(api: Api) -> None:
    """``/json/`` answers like ``/json`` (no redirect)."""
    response = await api.post("/json/", _send(creds(IVAN), "79612242243"))
    assert (200, {"information": [{"state": "send", "id_sms": FIRST_ID}]}) == (
        response.status_code,
        response.json(),
    )


async def test_phone_and_client_id_as_numbers_or_strings(api: Api) -> None:
    """Numbers and strings both work; ``client_id_sms`` reaches the service as a string."""
    doc = _send(creds(IVAN), 0)
    doc["message"][0]["phones"] = [
        {"phone": 79612242243, "client_id_sms": 101},
        {"phone": "79612242244", "client_id_sms": "abc-102"},
    ]
    response = await api.post("/json", doc)
    recipients = api.fake.last_items[0].recipients
    assert [("79612242243", "101"), ("79612242244", "abc-102")] == [
        (r.phone, r.client_id_sms) for r in recipients
    ]
    assert [FIRST_ID, FIRST_ID + 1] == [e["id_sms"] for e in response.json()["information"]]


async def test_viber_cascade_and_inferred_keys_reach_the_command(api: Api) -> None:
    """``type_send_1=viber``, ``type_send_2``, ``type`` and the Viber keys go into the item."""
    doc = _send(
        creds(IVAN),
        "79612242243",
        type_send_1="viber",
        type_send_2="sms",
        type="flashsms",
        sender_viber="Shop",
        text_viber="Sale!",
        button_viber="Open",
        action_viber="https://example.org",
    )
    await api.post("/json", doc)
    item = api.fake.last_items[0]
    assert (Channel.VIBER, Channel.SMS, MessageKind.FLASH) == (
        item.channel,
        item.fallback,
        item.kind,
    )
    assert {
        "sender_viber": "Shop",
        "text_viber": "Sale!",
        "button_viber": "Open",
        "action_viber": "https://example.org",
    } == item.extra


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            R.PLATFORM_OUT_OF_SMS,
            "У нас закончились SMS. Для разрешения проблемы свяжитесь с менеджером.",
        ),
        (R.OUT_OF_MONEY, "Закончились SMS."),
        (R.ACCOUNT_LOCKED, "Аккаунт заблокирован."),
        (R.NO_PHONE, "Укажите номер телефона."),
        (R.STOP_LIST, "Номер телефона присутствует в стоп-листе."),
        (R.DESTINATION_CLOSED_FOR_YOU, "Данное направление закрыто для вас."),
        (R.DESTINATION_CLOSED, "Данное направление закрыто."),
        (R.TEXT_REJECTED, "Текст SMS отклонен модератором."),
        (R.NO_SENDER, "Нет отправителя."),
        (
            R.SENDER_TOO_LONG,
            "Отправитель не должен превышать 15 символов для цифровых номеров и 11 символов для "
            "буквенно-числовых.",
        ),
        (R.PHONE_TOO_LONG, "Номер телефона должен быть меньше 15 символов."),
        (R.NO_TEXT, "Нет текста сообщения."),
        (R.NO_LINK, "Нет ссылки."),
        (
            R.VCARD_INCOMPLETE,
            "Укажите название контакта и, хотя бы один параметр для визитной карточки.",
        ),
        (R.NO_SUCH_SENDER, "Такого отправителя Нет."),
        (R.SENDER_NOT_MODERATED, "Отправитель не прошел модерацию."),
        (R.ALREADY_SENT, "Данное сообщение уже было отправлено."),
        (R.TOO_MANY_PARTS, "Текст сообщения слишком длинный."),
    ],
)
async def test_every_recipient_error_in_russian(api: Api, error: R, expected: str) -> None:
    """A refused recipient of a RU account reads the §1.9 RU text, with no state or id."""
    response = await api.post("/json", _send(creds(IVAN), _phone(error)))
    assert (200, {"information": [{"error": expected}]}) == (response.status_code, response.json())


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            R.PLATFORM_OUT_OF_SMS,
            "We have run out of SMS. Contact your manager to resolve the problem",
        ),
        (R.OUT_OF_MONEY, "Out of SMS"),
        (R.ACCOUNT_LOCKED, "Account blocked"),
        (R.NO_PHONE, "Specify phone number"),
        (R.STOP_LIST, "Phone number is on the stop list"),
        (R.DESTINATION_CLOSED_FOR_YOU, "This destination is closed for you"),
        (R.DESTINATION_CLOSED, "This destination is closed"),
        (R.TEXT_REJECTED, "SMS text rejected by moderator"),
        (R.NO_SENDER, "No sender"),
        (
            R.SENDER_TOO_LONG,
            "The sender must not exceed 15 characters for numeric numbers and 11 characters for "
            "alphanumeric numbers",
        ),
        (R.PHONE_TOO_LONG, "Phone number must be less than 15 characters"),
        (R.NO_TEXT, "No message text"),
        (R.NO_LINK, "No link"),
        (
            R.VCARD_INCOMPLETE,
            "Provide the name of the contact and at least one parameter for a business card",
        ),
        (R.NO_SUCH_SENDER, "There is no such sender"),
        (R.SENDER_NOT_MODERATED, "The sender has not been moderated"),
        (R.ALREADY_SENT, "This message has already been sent"),
        (R.TOO_MANY_PARTS, "Message text is too long"),
    ],
)
async def test_every_recipient_error_in_english(api: Api, error: R, expected: str) -> None:
    """An EN account reads the J1 EN variants (rows 1 and 14 differ from the XML page)."""
    response = await api.post("/json", _send({"token": token(JOHN)}, _phone(error)))
    assert (200, {"information": [{"error": expected}]}) == (response.status_code, response.json())


async def test_refusals_and_acceptances_keep_request_order(api: Api) -> None:
    """Entries are positional: accepted and refused recipients interleave as sent."""
    doc = _send(creds(IVAN), "79610000001", _phone(R.STOP_LIST), "79610000003")
    response = await api.post("/json", doc)
    assert [
        {"state": "send", "id_sms": FIRST_ID},
        {"error": "Номер телефона присутствует в стоп-листе."},
        {"state": "send", "id_sms": FIRST_ID + 2},
    ] == response.json()["information"]


async def test_token_wins_over_login_and_password(api: Api) -> None:
    """With all three keys, the token decides the account (and so the language)."""
    doc = _send({**creds(IVAN), "token": token(JOHN)}, _phone(R.NO_TEXT))
    response = await api.post("/json", doc)
    assert ({"error": "No message text"}, JOHN) == (
        response.json()["information"][0],
        api.fake.sent[-1][0],
    )


async def test_empty_token_falls_back_to_login_and_password(api: Api) -> None:
    """The docs' example carries all three keys; an empty token is ignored."""
    await api.post("/json", _send({**creds(IVAN), "token": ""}, "79612242243"))
    assert IVAN == api.fake.sent[-1][0]


async def test_one_element_array_is_accepted(api: Api) -> None:
    """Like J2, a J1 document wrapped in a one-element array is understood."""
    response = await api.post("/json", [_send(creds(IVAN), "79612242243")])
    assert [{"state": "send", "id_sms": FIRST_ID}] == response.json()["information"]


async def test_utf8_bom_is_ignored(api: Api) -> None:
    """A body starting with a UTF-8 BOM (Windows clients) parses."""
    response = await api.post("/json", b"\xef\xbb\xbf" + orjson.dumps(_send(creds(IVAN), "7961")))
    assert [{"state": "send", "id_sms": FIRST_ID}] == response.json()["information"]


async def test_no_recipients_answers_an_empty_list(api: Api) -> None:
    """A message with an empty ``phones`` list produces no entries."""
    response = await api.post("/json", _send(creds(IVAN)))
    assert (200, {"information": []}) == (response.status_code, response.json())


@pytest.mark.parametrize(
    ("account", "expected"),
    [(PETR, "Аккаунт заблокирован."), (JACK, "Account blocked")],
)
async def test_locked_account_is_refused_in_its_language(
    api: Api, account: Any, expected: str
) -> None:
    """A locked account's recipients are each refused with §1.9 row 3, in its language."""
    response = await api.post("/json", _send({"token": token(account)}, "79612242243"))
    assert (200, {"information": [{"error": expected}]}) == (response.status_code, response.json())


async def test_lock_found_by_the_service_is_answered_in_account_language(api: Api) -> None:
    """A ``DocumentError`` raised while sending uses the (known) account's language."""
    response = await api.post("/json", _send({"token": token(RACE)}, "79612242243"))
    assert {"error": "Your account is locked"} == response.json()


async def test_validation_error_from_the_service_is_a_format_error(api: Api) -> None:
    """A ``ValidationError`` from the service refuses the document as badly formed."""
    response = await api.post("/json", _send({"token": token(ODD)}, "79612242243"))
    assert {"error": "Неправильный формат JSON документа"} == response.json()


@pytest.mark.parametrize(
    "auth",
    [
        {"login": "ivan", "password": "wrong"},
        {"token": "no-such-token"},
        {"login": "ivan"},
        {},
    ],
)
async def test_bad_or_missing_credentials(api: Api, auth: dict[str, Any]) -> None:
    """Unknown, wrong or missing credentials: the RU default literal."""
    response = await api.post("/json", _send(auth, "79612242243"))
    assert (200, {"error": "Неправильный логин или пароль"}) == (
        response.status_code,
        response.json(),
    )


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'"just a string"',
        b'{"token":"tok-ivan","message":{"phones":"79612242243"}}',
        b'{"token":"tok-ivan","message":[{"phones":[{"phone":7.9e10}]}]}',
        b'{"token":"tok-ivan","message":[{"type_send_1":"pigeon","phones":[{"phone":"7"}]}]}',
        b'{"token":"tok-ivan","message":[{"type":"smoke","phones":[{"phone":"7"}]}]}',
        b'{"token":"tok-ivan","message":[{"phones":[{"phone":"7",'
        b'"validity_period":"31.12.2001"}]}]}',
        b'{"token":"tok-ivan","message":[{"phones":[{"phone":"7",'
        b'"time_send":"2001-02-30 10:00"}]}]}',
        b'[{"token":"tok-ivan","message":[]},{"token":"tok-ivan","message":[]}]',
    ],
)
async def test_malformed_documents_are_format_errors(api: Api, body: bytes) -> None:
    """Invalid JSON, wrong shapes, unknown words and unparseable dates refuse the document."""
    response = await api.post("/json", body)
    assert (200, {"error": "Неправильный формат JSON документа"}) == (
        response.status_code,
        response.json(),
    )


@pytest.mark.parametrize("body", [b"", b" \r\n "])
async def test_empty_body_is_missing_post_data(api: Api, body: bytes) -> None:
    """Nothing posted: "POST data is missing" in RU."""
    response = await api.post("/json", body)
    assert (200, {"error": "POST данные отсутствуют"}) == (response.status_code, response.json())


async def test_get_request_is_missing_post_data(api: Api) -> None:
    """A browser opening the URL gets the same document error."""
    response = await api.http.get("/json")
    assert (200, JSON_TYPE, {"error": "POST данные отсутствуют"}) == (
        response.status_code,
        response.headers["content-type"],
        response.json(),
    )
