"""The whole platform over real HTTP (the e2e fixture) plus a client for raw XML documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, fromstring

import pytest

from e2e.conftest import Platform, start_platform

XML_TYPE = "text/xml; charset=utf-8"


def security(creds: dict[str, str], token: bool = False) -> str:
    if token:
        return f'<security><token value="{creds["token"]}" /></security>'
    return (
        f'<security><login value="{creds["login"]}" />'
        f'<password value="{creds["password"]}" /></security>'
    )


@dataclass
class Answer:
    status: int
    text: str
    root: Element

    @property
    def error(self) -> str | None:
        found = self.root.find("error")
        return None if found is None else found.text


@dataclass
class XmlClient:
    platform: Platform
    users: dict[str, dict[str, str]]

    async def user(self, login: str, balance: str = "100", **kw: Any) -> dict[str, str]:
        creds = await self.platform.account(login, balance=balance, any_sender=True, **kw)
        self.users[login] = creds
        return creds

    async def raw(self, path: str, body: bytes) -> Answer:
        r = await self.platform.post_raw(path, body, {"Content-Type": "text/xml"})
        assert XML_TYPE == r.headers["content-type"]
        return Answer(r.status_code, r.text, fromstring(r.content))

    async def call(self, path: str, login: str, inner: str = "", password: bool = False) -> Answer:
        """POST ``<request><security/>inner</request>`` as ``login`` (token, or login and
        password: argon2 makes those slow on purpose); expects 200."""
        doc = (
            '<?xml version="1.0" encoding="utf-8" ?>\n<request>'
            f"{security(self.users[login], token=not password)}{inner}</request>"
        )
        answer = await self.raw(path, doc.encode())
        assert 200 == answer.status, answer.text
        return answer

    async def send_json(self, login: str, phone: str, **phone_fields: Any) -> dict[str, Any]:
        """J1 with the account's token: one recipient; its ``information`` entry."""
        body = {
            "token": self.users[login]["token"],
            "message": [
                {
                    "type_send_1": "sms",
                    "sender": "Shop",
                    "text": "hello",
                    "phones": [{"phone": phone, **phone_fields}],
                }
            ],
        }
        return dict((await self.platform.post("/json", body))["information"][0])

    async def money(self, login: str) -> str:
        token = self.users[login]["token"]
        return str((await self.platform.post("/json/balance.php", {"token": token}))["money"])


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[XmlClient]:
    """The platform on SQLite (most HTTP tests: the storage suite covers both databases)."""
    async for p in start_platform(f"sqlite:///{tmp_path / 'smsrelay.db'}", tmp_path):
        yield XmlClient(p, {})


@pytest.fixture
async def client_both(database_url: str, tmp_path: Path) -> AsyncIterator[XmlClient]:
    """The platform on each database (the money-moving scenarios)."""
    async for p in start_platform(database_url, tmp_path):
        yield XmlClient(p, {})
