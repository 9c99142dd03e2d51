"""Fuzz harness: no input to any of the three dialects (JSON, XML, GET) gives a 5xx.

The whole platform runs over real HTTP (uvicorn on port 0, the lenient bounded protocol of
``smsrelay serve``); hypothesis generates bodies, documents, query strings, request lines,
headers and encodings, both shapeless and shaped like the spec's documents (with a valid token
now and then, so the generated input reaches past authentication into the parsers behind it).
Hypothesis runs in a worker thread and hands each request to the server's event loop.

Bounded for CI: a modest ``max_examples`` per dialect (``SMSRELAY_FUZZ_EXAMPLES`` raises it
for a long local run), no deadline, the database on SQLite.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import quote_from_bytes
from xml.sax.saxutils import escape, quoteattr

import httpx
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e.conftest import Platform

EXAMPLES = int(os.environ.get("SMSRELAY_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,  # no example database written into the tree
)

T = TypeVar("T")

# --- shared pieces ---------------------------------------------------------------------------

#: Text that stresses parsers: controls, surrogates-free Unicode, other scripts' digits, quotes.
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "79001234567",
            "+7 (900) 123-45-67",
            "7\uff19001234567",
            "\u0967\u0968",
            "²",
            "1e999999",
            "-1",
            "0",
            "9" * 30,
            "2001-12-31 15:34:54",
            "2001-02-30 25:61:61",
            "yes",
            "TRUE",
            "sms",
            "viber",
            "%",
            "%zz",
            "&",
            "<",
            '"',
            "\x00",
            "СТОП",
            "Код: 1234",
            "a" * 300,
        ]
    ),
)
NUMBER = st.one_of(st.integers(min_value=-(2**63), max_value=2**64 - 1), st.floats(allow_nan=False))
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "text/xml",
            "text/xml; charset=windows-1251",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "text/plain; charset=foo",
            "",
        ]
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30),
)
HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
EXTRA_HEADERS = st.dictionaries(
    st.sampled_from(["X-Forwarded-For", "Accept-Charset", "Accept-Encoding", "Cookie", "X-Junk"]),
    HEADER_VALUE,
    max_size=3,
)


class Target:
    """The platform under test, driven from the hypothesis thread on the server's loop."""

    def __init__(self, platform: Platform, loop: asyncio.AbstractEventLoop) -> None:
        self.platform = platform
        self.loop = loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        # any octet a client may send (h11 refuses surrounding blanks on our side: stripped)
        raw = {k: v.strip(" \t").encode("latin-1") for k, v in headers.items()}
        return self.run(self.platform.http.post(path, content=body, headers=raw))


def _check(response: httpx.Response, what: object) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])


async def _prepared(platform: Platform) -> tuple[Target, str]:
    """The target and a valid token (so generated input gets past authentication)."""
    creds = await platform.account("fuzz", balance="1000")
    return Target(platform, asyncio.get_running_loop()), creds["token"]


# --- JSON ------------------------------------------------------------------------------------

JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBER, TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _json_documents(token: str) -> st.SearchStrategy[Any]:
    auth = st.one_of(
        st.just({"token": token}),
        st.fixed_dictionaries({"token": JSON_VALUE}),
        st.fixed_dictionaries({"login": JSON_VALUE, "password": JSON_VALUE}),
        st.just({}),
    )
    phone = st.fixed_dictionaries(
        {"phone": st.one_of(TEXT, NUMBER)},
        optional={
            "client_id_sms": JSON_VALUE,
            "time_send": TEXT,
            "validity_period": TEXT,
            "validity_period_viber": TEXT,
        },
    )
    message = st.fixed_dictionaries(
        {},
        optional={
            "type_send_1": st.one_of(st.sampled_from(["sms", "viber", "flash", "x"]), TEXT),
            "type_send_2": TEXT,
            "sender": TEXT,
            "text": TEXT,
            "phones": st.one_of(st.lists(phone, max_size=3), JSON_VALUE),
            "url": TEXT,
            "image": TEXT,
            "caption": TEXT,
            "action": TEXT,
        },
    )
    body = st.fixed_dictionaries(
        {},
        optional={
            "message": st.one_of(st.lists(message, max_size=3), JSON_VALUE),
            "id_sms": st.one_of(st.lists(st.one_of(NUMBER, TEXT), max_size=3), JSON_VALUE),
            "detail": JSON_VALUE,
        },
    )
    return st.one_of(
        st.builds(lambda a, b: {**a, **b}, auth, body),
        JSON_VALUE,
    )


async def test_json_dialect_never_answers_5xx(platform: Platform) -> None:
    target, token = await _prepared(platform)
    paths = ["/json", "/json/", "/json/state.php", "/json/balance.php"]
    documents = _json_documents(token)

    @FUZZ
    @given(
        path=st.sampled_from(paths),
        body=st.one_of(documents.map(orjson.dumps), st.binary(max_size=200)),
        content_type=CONTENT_TYPES,
        extra=EXTRA_HEADERS,
    )
    def check(path: str, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        _check(target.post(path, body, {**extra, "Content-Type": content_type}), body)

    await asyncio.to_thread(check)


# --- XML -------------------------------------------------------------------------------------

TAGS = [
    "request", "security", "login", "password", "token", "message", "sender", "text",
    "abonent", "originator", "operator", "file", "get_state", "id_sms", "client", "base",
    "bases", "phone", "phones", "stop", "time", "number", "list_originator", "schedule",
]  # fmt: skip
ATTRS = [
    "value", "phone", "number_sms", "client_id_sms", "time_send", "validity_period", "type",
    "id_base", "page", "INN", "inn", "id", "href", "login", "money", "name_base", "MCC", "mnc",
    "local_time", "day_before", "time_birth", "detail", "id_sms", "action", "number",
]  # fmt: skip
ENCODINGS = ["utf-8", "windows-1251", "koi8-r", "latin-1", "utf-16", "ascii", "foo", ""]


def _element(tag: str, attrs: dict[str, str], children: list[str], text: str) -> str:
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{attributes}>{escape(text)}{''.join(children)}</{tag}>"


ELEMENT = st.recursive(
    st.builds(
        _element,
        st.sampled_from(TAGS),
        st.dictionaries(st.sampled_from(ATTRS), TEXT, max_size=3),
        st.just([]),
        TEXT,
    ),
    lambda inner: st.builds(
        _element,
        st.sampled_from(TAGS),
        st.dictionaries(st.sampled_from(ATTRS), TEXT, max_size=3),
        st.lists(inner, max_size=4),
        TEXT,
    ),
    max_leaves=10,
)


def _xml_documents(token: str) -> st.SearchStrategy[bytes]:
    security = st.sampled_from(
        [
            f'<security><token value="{token}"/></security>',
            '<security><login value="fuzz"/><password value="wrong"/></security>',
            "",
        ]
    )

    def build(encoding: str, sec: str, children: list[str], cut: int | None) -> bytes:
        decl = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding != "-" else ""
        text = f"{decl}<request>{sec}{''.join(children)}</request>"
        codec = encoding if encoding in ENCODINGS[:-2] else "utf-8"
        data = text.encode(codec, errors="replace")
        return data if cut is None else data[:cut]

    return st.builds(
        build,
        st.sampled_from([*ENCODINGS, "-"]),
        security,
        st.lists(ELEMENT, max_size=4),
        st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    )


async def test_xml_dialect_never_answers_5xx(platform: Platform) -> None:
    target, token = await _prepared(platform)
    paths = sorted(
        {
            route.path
            for route in platform.runtime.app.routes
            if getattr(route, "path", "").startswith("/xml")
        }
    )
    documents = _xml_documents(token)

    @FUZZ
    @given(
        path=st.sampled_from(paths),
        body=st.one_of(documents, st.binary(max_size=200)),
        content_type=CONTENT_TYPES,
        extra=EXTRA_HEADERS,
    )
    def check(path: str, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        _check(target.post(path, body, {**extra, "Content-Type": content_type}), (path, body))

    await asyncio.to_thread(check)


# --- GET -------------------------------------------------------------------------------------

GET_KEYS = [
    "user", "pwd", "token", "phone", "text", "sender", "smsid", "balance", "time_send",
    "validity_period", "type_send", "text_viber", "registration", "businessman", "login",
    "password", "name", "city", "e_mail", "inn", "ogrnip", "juridical_address", "company_name",
]  # fmt: skip


def _query(token: str) -> st.SearchStrategy[bytes]:
    def encode(pairs: list[tuple[str, str]], codec: str, raw: bool) -> bytes:
        out = []
        for key, value in pairs:
            v = value.replace("{token}", token).encode(codec, errors="replace")
            out.append(key.encode() + b"=" + (v if raw else quote_from_bytes(v).encode()))
        return b"&".join(out)

    pairs = st.lists(
        st.tuples(st.sampled_from(GET_KEYS), st.one_of(TEXT, st.just("{token}"))), max_size=6
    )
    return st.one_of(
        st.builds(encode, pairs, st.sampled_from(["utf-8", "cp1251"]), st.booleans()),
        st.binary(max_size=120),
    )


async def _raw_get(platform: Platform, target: bytes, headers: dict[str, str]) -> int:
    """One request whose target goes on the wire as these bytes (unencoded clients)."""
    port = int(platform.base_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        extra = b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers.items())
        writer.write(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra)
        writer.write(b"\r\n")
        await writer.drain()
        async with asyncio.timeout(30):
            data = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


async def test_get_dialect_never_answers_5xx(platform: Platform) -> None:
    target, token = await _prepared(platform)
    paths = [b"/sendsms.php", b"/ru/reg/registration.html"]

    @FUZZ
    @given(
        path=st.sampled_from(paths),
        query=_query(token),
        post=st.booleans(),
        content_type=CONTENT_TYPES,
        extra=EXTRA_HEADERS,
    )
    def check(
        path: bytes, query: bytes, post: bool, content_type: str, extra: dict[str, str]
    ) -> None:
        if post:
            headers = {**extra, "Content-Type": content_type}
            _check(target.post(path.decode(), query, headers), query)
            return
        status = target.run(_raw_get(platform, path + b"?" + query, extra))
        assert status < 500, (query, status)

    await asyncio.to_thread(check)
