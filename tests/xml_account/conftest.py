"""The whole platform over real HTTP (the e2e fixture) plus helpers to speak the XML dialect
with raw bodies, as clients in the wild do."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from e2e.conftest import Platform, start_platform
from smsrelay.domain.accounts import Lang
from smsrelay.domain.money import Money
from smsrelay.store.schema import messages

#: The header the docs require (note the trailing ``;``); never checked by the server.
XML_HEADERS = {"Content-Type": "text/xml; charset=utf-8;"}


class XmlPlatform:
    """A running platform and the XML requests of one test."""

    def __init__(self, platform: Platform) -> None:
        self.p = platform
        self.passwords: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    @property
    def runtime(self) -> Any:
        return self.p.runtime

    async def account(
        self, login: str, balance: str = "100", lang: Lang = Lang.RU, **kw: Any
    ) -> None:
        password = f"pw-{login}"
        _, token = await self.runtime.admin.create_account(
            login, password, balance=Money.parse(balance), lang=lang, **kw
        )
        self.passwords[login] = password
        self.tokens[login] = token

    def security(self, login: str, *, token: bool = False) -> str:
        if token:
            return f'<security><token value="{self.tokens[login]}" /></security>'
        return (
            f'<security><login value="{login}" />'
            f'<password value="{self.passwords[login]}" /></security>'
        )

    async def post(
        self, path: str, body: str | bytes, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        content = body.encode() if isinstance(body, str) else body
        return await self.p.http.post(path, content=content, headers=headers or XML_HEADERS)

    async def call(self, path: str, login: str, inner: str, *, token: bool = True) -> str:
        """POST ``<request>security + inner</request>``; the answer body (asserting 200).
        A token by default (cheap); ``token=False`` sends login + password."""
        security = self.security(login, token=token)
        body = f'<?xml version="1.0" encoding="utf-8" ?><request>{security}{inner}</request>'
        r = await self.post(path, body)
        assert 200 == r.status_code, r.text
        assert r.headers["content-type"].startswith("text/xml")
        return r.text

    async def stored(self, id_sms: int) -> Any:
        async with self.runtime.stores.db.read() as conn:
            return (await conn.execute(select(messages).where(messages.c.id == id_sms))).one()


def inner_of(body: str) -> str:
    """The ``<response>`` children of an answer (the declaration and root stripped)."""
    match = re.fullmatch(
        r'<\?xml version="1.0" encoding="utf-8"\?>\n<response>(.*)</response>', body, re.S
    )
    assert match is not None, body
    return match.group(1)


def error_doc(text: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<response><error>{text}</error></response>'


@pytest.fixture
async def xmlp(database_url: str, tmp_path: Path) -> AsyncIterator[XmlPlatform]:
    async for p in start_platform(database_url, tmp_path):
        yield XmlPlatform(p)
