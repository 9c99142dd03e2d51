"""J2 ``POST /json/state.php`` and J4 ``POST /json/balance.php`` over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import IVAN, JACK, JOHN, PETR, RACE, Api, creds
from .conftest import token_of as token

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNKNOWN = "Сообщение с таким ID не принималось"


async def test_docs_example_with_detail_has_a_seven_decimal_price(api: Api) -> None:
    """The J2 example byte for byte: an array, ``price`` a number with 7 decimals."""
    response = await api.post(
        "/json/state.php",
        b'[{"login":"ivan","password":"pw-ivan","token":"","id_sms":82216,"detail":1}]',
    )
    expected = (
        b'[{"id_sms":82216,"time_change_state":"2021-04-26 15:15:03","state":"deliver",'
        b'"num_parts":1,"price":10.6000000}]'
    )
    assert (200, "application/json; charset=utf-8", expected) == (
        response.status_code,
        response.headers["content-type"],
        response.content,
    )


async def test_bare_object_string_id_and_no_detail(api: Api) -> None:
    """A bare object, ``id_sms`` as a string, ``detail`` absent: no parts or price."""
    response = await api.post("/json/state.php", {**creds(IVAN), "id_sms": "82216"})
    assert [
        {"id_sms": 82216, "time_change_state": "2021-04-26 15:15:03", "state": "deliver"}
    ] == response.json()


@pytest.mark.parametrize("detail", [0, "0", None])
async def test_detail_zero_leaves_out_parts_and_price(api: Api, detail: Any) -> None:
    """``detail`` 0, "0" or null: the short form."""
    response = await api.post("/json/state.php", {**creds(IVAN), "id_sms": 82218, "detail": detail})
    assert {"id_sms", "time_change_state", "state"} == set(response.json()[0])


async def test_detail_as_string_one(api: Api) -> None:
    """``detail`` "1" works like 1."""
    response = await api.post("/json/state.php", {**creds(IVAN), "id_sms": 82221, "detail": "1"})
    assert response.content.endswith(b',"num_parts":3,"price":2.0000000}]')


async def test_list_of_ids_answers_every_status_word_in_order(api: Api) -> None:
    """Mixed number/string ids; each §1.7 word; ``""`` time while ``send``."""
    ids = [82217, "82218", 82219, "82220", 82221, 82222, 82216]
    response = await api.post("/json/state.php", [{"token": token(IVAN), "id_sms": ids}])
    t = "2021-04-26 15:15:03"
    assert [
        {"id_sms": 82217, "time_change_state": "", "state": "send"},
        {"id_sms": 82218, "time_change_state": t, "state": "not_deliver"},
        {"id_sms": 82219, "time_change_state": t, "state": "expired"},
        {"id_sms": 82220, "time_change_state": t, "state": "read"},
        {"id_sms": 82221, "time_change_state": t, "state": "partly_deliver"},
        {"id_sms": 82222, "time_change_state": "", "state": "send"},
        {"id_sms": 82216, "time_change_state": t, "state": "deliver"},
    ] == response.json()


async def test_unknown_and_foreign_ids_read_the_unknown_literal(api: Api) -> None:
    """Never sent, or another account's: the [WL] literal as ``state``, empty time."""
    response = await api.post("/json/state.php", {**creds(IVAN), "id_sms": [1, 90001]})
    assert [
        {"id_sms": 1, "time_change_state": "", "state": UNKNOWN},
        {"id_sms": 90001, "time_change_state": "", "state": UNKNOWN},
    ] == response.json()


async def test_unknown_id_with_detail_reports_zero_parts_and_price(api: Api) -> None:
    """The detailed form keeps its keys for an unknown id."""
    response = await api.post("/json/state.php", {**creds(IVAN), "id_sms": 7, "detail": 1})
    expected = (
        '[{"id_sms":7,"time_change_state":"","state":"' + UNKNOWN + '",'
        '"num_parts":0,"price":0.0000000}]'
    ).encode()
    assert expected == response.content


async def test_ids_beyond_32_bits_stay_numbers(api: Api) -> None:
    """A 64-bit id (§1.5) goes out as a JSON number, zero price as ``0.0000000``."""
    response = await api.post(
        "/json/state.php", {**creds(IVAN), "id_sms": "2856677675", "detail": 1}
    )
    expected = (
        b'[{"id_sms":2856677675,"time_change_state":"2022-01-02 03:04:05","state":"deliver",'
        b'"num_parts":4,"price":0.0000000}]'
    )
    assert expected == response.content


@pytest.mark.parametrize(
    ("account", "expected"),
    [(PETR, "Ваш аккаунт заблокирован"), (JACK, "Your account is locked")],
)
async def test_state_of_locked_account(api: Api, account: Any, expected: str) -> None:
    """A locked account: "Your account is locked" document error in its language."""
    response = await api.post("/json/state.php", {"token": token(account), "id_sms": 82216})
    assert (200, {"error": expected}) == (response.status_code, response.json())


async def test_state_lock_found_by_the_service(api: Api) -> None:
    """A ``DocumentError`` from the service, in the account's language."""
    response = await api.post("/json/state.php", {"token": token(RACE), "id_sms": 1})
    assert {"error": "Your account is locked"} == response.json()


@pytest.mark.parametrize(
    "doc",
    [
        {"token": "tok-ivan"},
        {"token": "tok-ivan", "id_sms": "SMS ID in the system to check the status"},
        {"token": "tok-ivan", "id_sms": 1.5},
        {"token": "tok-ivan", "id_sms": 1, "detail": 2},
        [],
    ],
)
async def test_state_format_errors(api: Api, doc: Any) -> None:
    """Missing or non-numeric ids, bad detail, an empty array: format error."""
    response = await api.post("/json/state.php", doc)
    assert {"error": "Неправильный формат JSON документа"} == response.json()


async def test_state_bad_credentials_and_missing_data(api: Api) -> None:
    """Wrong password and an empty body, in the RU default."""
    wrong = await api.post("/json/state.php", {"login": "ivan", "password": "x", "id_sms": 1})
    empty = await api.post("/json/state.php", b"")
    got = await api.http.get("/json/state.php")
    assert [
        {"error": "Неправильный логин или пароль"},
        {"error": "POST данные отсутствуют"},
        {"error": "POST данные отсутствуют"},
    ] == [wrong.json(), empty.json(), got.json()]


async def test_balance_in_russian(api: Api) -> None:
    """J4 byte for byte: all values strings, the unlimited count "Безлимит"."""
    response = await api.post("/json/balance.php", creds(IVAN))
    expected = (
        '{"money":"19023.9","currency":"RUR","information":['
        '{"type_sms":"sms","area":"Tele2","num_sms":"72029"},'
        '{"type_sms":"sms","area":"Россия","num_sms":"Безлимит"}]}'
    ).encode()
    assert (200, "application/json; charset=utf-8", expected) == (
        response.status_code,
        response.headers["content-type"],
        response.content,
    )


async def test_balance_in_english(api: Api) -> None:
    """An EN account reads "Unlim"."""
    response = await api.post("/json/balance.php", [{"token": token(JOHN)}])
    assert {
        "money": "19023.9",
        "currency": "RUR",
        "information": [
            {"type_sms": "sms", "area": "Tele2", "num_sms": "72029"},
            {"type_sms": "sms", "area": "Russia", "num_sms": "Unlim"},
        ],
    } == response.json()


@pytest.mark.parametrize(
    ("account", "expected"),
    [(PETR, "Ваш аккаунт заблокирован"), (JACK, "Your account is locked")],
)
async def test_balance_of_locked_account(api: Api, account: Any, expected: str) -> None:
    """A locked account cannot read its balance."""
    response = await api.post("/json/balance.php", {"token": token(account)})
    assert {"error": expected} == response.json()


async def test_balance_errors(api: Api) -> None:
    """Bad credentials, bad JSON, no body, GET - RU default literals."""
    answers = [
        (await api.post("/json/balance.php", {"token": "nope"})).json(),
        (await api.post("/json/balance.php", b"{")).json(),
        (await api.post("/json/balance.php", b"")).json(),
        (await api.http.get("/json/balance.php")).json(),
    ]
    assert [
        {"error": "Неправильный логин или пароль"},
        {"error": "Неправильный формат JSON документа"},
        {"error": "POST данные отсутствуют"},
        {"error": "POST данные отсутствуют"},
    ] == answers
