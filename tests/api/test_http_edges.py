"""Edges of the HTTP layer: headers, body bounds, status modes, failures, health."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import structlog

from smsrelay.domain.errors import RecipientError as R

from .conftest import (
    BOOM_MESSAGE,
    BOOM_TOKEN,
    FIRST_ID,
    IVAN,
    JACK,
    JOHN,
    PETR,
    REFUSING_PHONES,
    Api,
)
from .conftest import token_of as token

pytestmark = pytest.mark.asyncio(loop_scope="module")

RU_FORMAT = {"error": "Неправильный формат JSON документа"}


def _one(auth: dict[str, Any], phone: str = "79612242243") -> dict[str, Any]:
    return {**auth, "message": [{"sender": "Shop", "text": "hi", "phones": [{"phone": phone}]}]}


def _json(body: bytes) -> Any:
    return orjson.loads(body)


async def test_health(api: Api) -> None:
    """Operators and probes get ``{"status": "ok"}`` while the process lives (issue 12)."""
    response = await api.http.get("/health")
    assert (200, "application/json", {"status": "ok"}) == (
        response.status_code,
        response.headers["content-type"].split(";")[0],
        response.json(),
    )


async def test_bogus_content_type_header_is_ignored(api: Api) -> None:
    """The docs' header ``text/json; charset=utf-8;`` (trailing ``;``) - the body still parses."""
    body = orjson.dumps(_one({"token": token(IVAN)}))
    request = (
        b"POST /json HTTP/1.1\r\nHost: lk.mysmpp.ru\r\n"
        b"Content-type: text/json; charset=utf-8;\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%b" % (len(body), body)
    )
    status, headers, answer = await api.raw(request)
    assert (
        200,
        "application/json; charset=utf-8",
        {"information": [{"state": "send", "id_sms": FIRST_ID}]},
    ) == (
        status,
        headers["content-type"],
        _json(answer),
    )


async def test_declared_body_over_the_default_limit_is_refused_unread(api: Api) -> None:
    """Content-Length above 2 MiB: format error at once, without waiting for the body."""
    request = (
        b"POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n{"
        % (2 * 1024 * 1024 + 1)
    )
    status, _, answer = await api.raw(request)
    assert (200, RU_FORMAT) == (status, _json(answer))


async def test_chunked_body_over_the_limit_is_refused_once_it_passes(api_small: Api) -> None:
    """Without a length, reading stops as soon as the 1 KiB limit is passed."""
    chunk = b"x" * 700
    request = (
        b"POST /json/balance.php HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n%x\r\n%b\r\n%x\r\n%b\r\n"
        % (len(chunk), chunk, len(chunk), chunk)
    )
    status, _, answer = await api_small.raw(request)
    assert (200, RU_FORMAT) == (status, _json(answer))


async def test_body_exactly_at_the_limit_is_read(api_small: Api) -> None:
    """The limit is inclusive: a 1024-byte document (padded with blanks) is answered."""
    body = orjson.dumps({"token": token(IVAN)})
    response = await api_small.post("/json/balance.php", body + b" " * (1024 - len(body)))
    assert "19023.9" == response.json()["money"]


async def test_declared_body_one_byte_over_a_small_limit(api_small: Api) -> None:
    """1025 declared bytes against a 1024 limit: format error."""
    body = orjson.dumps({"token": token(IVAN)})
    body += b" " * (1025 - len(body))
    request = (
        b"POST /json/balance.php HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n"
        b"Connection: close\r\n\r\n%b" % body
    )
    status, _, answer = await api_small.raw(request)
    assert (200, RU_FORMAT) == (status, _json(answer))


async def test_recipient_limit(api_small: Api) -> None:
    """Three recipients pass a limit of three; a fourth refuses the document."""
    phones = [{"phone": f"7961000000{i}"} for i in range(4)]
    messages: list[dict[str, Any]] = [{"sender": "S", "text": "t", "phones": phones[:3]}]
    ok = await api_small.post("/json", {"token": token(IVAN), "message": messages})
    messages.append({"sender": "S", "text": "t", "phones": phones[3:]})
    refused = await api_small.post("/json", {"token": token(IVAN), "message": messages})
    assert (3, RU_FORMAT) == (len(ok.json()["information"]), refused.json())


async def test_id_limit_applies_to_state_requests(api_small: Api) -> None:
    """More ids than ``max_recipients`` in one J2 request is a format error."""
    response = await api_small.post(
        "/json/state.php", {"token": token(IVAN), "id_sms": [1, 2, 3, 4]}
    )
    assert RU_FORMAT == response.json()


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/json", b"[1,", "Incorrect JSON document format"),
        ("POST", "/json/state.php", b"", "POST data is missing"),
        ("GET", "/json/balance.php", b"", "POST data is missing"),
        (
            "POST",
            "/json/balance.php",
            b'{"login":"ivan","password":"x"}',
            "Incorrect login or password",
        ),
        (
            "POST",
            "/json/balance.php",
            orjson.dumps({"token": token(JACK)}),
            "Your account is locked",
        ),
        (
            "POST",
            "/json/state.php",
            orjson.dumps({"token": token(PETR), "id_sms": 1}),
            "Ваш аккаунт заблокирован",
        ),
    ],
)
async def test_status_400_mode_and_english_default(
    api_en400: Api, method: str, path: str, body: bytes, expected: str
) -> None:
    """``error_status="400"``: document errors answer 400; unknown accounts read EN defaults."""
    response = await api_en400.http.request(method, path, content=body)
    assert (400, "application/json; charset=utf-8", {"error": expected}) == (
        response.status_code,
        response.headers["content-type"],
        response.json(),
    )


async def test_status_400_mode_keeps_200_for_answers_with_refused_recipients(
    api_en400: Api,
) -> None:
    """Per-recipient refusals are part of a good answer: still 200."""
    phone = next(p for p, e in REFUSING_PHONES.items() if e is R.STOP_LIST)
    response = await api_en400.post("/json", _one({"token": token(JOHN)}, phone))
    assert (200, {"information": [{"error": "Phone number is on the stop list"}]}) == (
        response.status_code,
        response.json(),
    )


async def test_unexpected_exception_is_a_500_with_one_clean_log_line(api: Api) -> None:
    """A crash answers ``{"error":"internal error"}`` and logs once, without secrets."""
    with structlog.testing.capture_logs() as logs:
        response = await api.post("/json", _one({"token": BOOM_TOKEN}))
    assert (500, "application/json; charset=utf-8", {"error": "internal error"}) == (
        response.status_code,
        response.headers["content-type"],
        response.json(),
    )
    assert [("error", "api.unhandled_exception", "/json", "RuntimeError")] == [
        (e["log_level"], e["event"], e["route"], e["exc_type"]) for e in logs
    ]
    logged = repr(logs)
    assert (False, False, False) == (
        BOOM_TOKEN in logged,
        BOOM_MESSAGE in logged,
        "79612242243" in logged,
    )


async def test_other_methods_and_paths_are_not_routes(api: Api) -> None:
    """Only the documented paths exist; PUT is not a method of the API."""
    missing = await api.http.post("/json/nothing.php", content=b"{}")
    put = await api.http.put("/json", content=b"{}")
    assert (404, 405) == (missing.status_code, put.status_code)
