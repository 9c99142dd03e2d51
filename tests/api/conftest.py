"""A fake ``Platform`` (the port's purpose) and the real app served by uvicorn on port 0.

HTTP test modules run in one event loop per module (``pytestmark`` loop_scope="module") so
that one server per settings variant serves the whole module.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
import pytest_asyncio
import uvicorn

from smsrelay.api import ApiSettings, create_app
from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.errors import DocumentError, DocumentErrorCode, RecipientError, ValidationError
from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.services.commands import (
    AreaCount,
    BalanceView,
    Credentials,
    SendItem,
    SendResult,
    StateView,
)


def _account(id_: int, login: str, lang: Lang, *, locked: bool = False) -> Account:
    return Account(
        id=id_,
        login=login,
        lang=lang,
        locked=locked,
        any_sender=True,
        balance=Money.parse("19023.9"),
    )


IVAN = _account(1, "ivan", Lang.RU)
JOHN = _account(2, "john", Lang.EN)
PETR = _account(3, "petr", Lang.RU, locked=True)
JACK = _account(4, "jack", Lang.EN, locked=True)
RACE = _account(5, "race", Lang.EN)  # send/states/balance raise DocumentError(ACCOUNT_LOCKED)
ODD = _account(6, "odd", Lang.RU)  # send/states/balance raise ValidationError
ACCOUNTS = (IVAN, JOHN, PETR, JACK, RACE, ODD)

#: The token that makes ``authenticate`` blow up with a message holding a secret.
BOOM_TOKEN = "tok-boom-secret"
BOOM_MESSAGE = "database said: password=hunter2"


def token_of(account: Account) -> str:
    return f"tok-{account.login}"


def password_of(account: Account) -> str:
    return f"pw-{account.login}"


def creds(account: Account) -> dict[str, str]:
    """Login + password JSON keys for an account."""
    return {"login": account.login, "password": password_of(account)}


#: Each refusal has its phone: the fake refuses exactly these recipients.
REFUSING_PHONES: dict[str, RecipientError] = {f"7999{e.value:07d}": e for e in RecipientError}
#: First id the fake gives in each send call (above 2^31, as in the spec's [WL] fixtures).
FIRST_ID = 2856677675

_T = datetime(2021, 4, 26, 15, 15, 3)
#: id -> (owner, status, time, parts, price per part)
MESSAGES: dict[int, tuple[Account, MessageStatus, datetime | None, int, Money | None]] = {
    82216: (IVAN, MessageStatus.DELIVERED, _T, 1, Money.parse("10.6")),
    82217: (IVAN, MessageStatus.SUBMITTED, _T, 2, Money.parse("1.15")),  # time ignored: "send"
    82218: (IVAN, MessageStatus.UNDELIVERED, _T, 1, Money.parse("1.1")),
    82219: (IVAN, MessageStatus.EXPIRED, _T, 1, Money.parse("1")),
    82220: (IVAN, MessageStatus.READ, _T, 1, Money.parse("0.000001")),
    82221: (IVAN, MessageStatus.PARTLY_DELIVERED, _T, 3, Money.parse("2")),
    82222: (IVAN, MessageStatus.QUEUED, None, 1, None),
    2856677675: (IVAN, MessageStatus.DELIVERED, datetime(2022, 1, 2, 3, 4, 5), 4, Money(0)),
    90001: (JOHN, MessageStatus.DELIVERED, _T, 1, Money.parse("3")),
}


@dataclass
class FakePlatform:
    """Deterministic ``Platform``: fixed accounts, refusals by phone, fixed messages."""

    sent: list[tuple[Account, list[SendItem]]] = field(default_factory=list)
    authenticated: list[Credentials] = field(default_factory=list)

    async def authenticate(self, credentials: Credentials) -> Account:
        self.authenticated.append(credentials)
        if credentials.token == BOOM_TOKEN:
            raise RuntimeError(BOOM_MESSAGE)
        for account in ACCOUNTS:
            if credentials.token is not None:
                if credentials.token == token_of(account):
                    return account
            elif (credentials.login, credentials.password) == (
                account.login,
                password_of(account),
            ):
                return account
        raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)

    @staticmethod
    def _trouble(account: Account) -> None:
        if account is RACE:
            raise DocumentError(DocumentErrorCode.ACCOUNT_LOCKED)
        if account is ODD:
            raise ValidationError("the service disliked a value")

    async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]:
        self._trouble(account)
        self.sent.append((account, list(items)))
        results: list[SendResult] = []
        for item in items:
            for recipient in item.recipients:
                error = REFUSING_PHONES.get(recipient.phone)
                if account.locked:  # as the real service: §1.9 row 3 for every recipient
                    error = RecipientError.ACCOUNT_LOCKED
                if error is not None:
                    results.append(SendResult(error=error))
                else:
                    results.append(SendResult(id_sms=FIRST_ID + len(results), parts=1))
        return results

    async def states(self, account: Account, ids: Sequence[int]) -> list[StateView]:
        self._trouble(account)
        views: list[StateView] = []
        for id_sms in ids:
            row = MESSAGES.get(id_sms)
            if row is None or row[0] is not account:
                views.append(StateView(id_sms=id_sms, status=None, time=None))
            else:
                _, status, time, parts, price = row
                views.append(StateView(id_sms, status, time, parts, price))
        return views

    async def balance(self, account: Account) -> BalanceView:
        self._trouble(account)
        russia = "Россия" if account.lang is Lang.RU else "Russia"
        return BalanceView(
            money=account.balance,
            currency="RUR",
            areas=[
                AreaCount("Tele2", Channel.SMS, 72029),
                AreaCount(russia, Channel.SMS, None),
            ],
        )

    @property
    def last_items(self) -> list[SendItem]:
        return self.sent[-1][1]


# --- the server ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1, port 0; yield the base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0)  # yield to the server task; no time needs to pass
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Api:
    """A running app and a client for it."""

    base_url: str
    http: httpx.AsyncClient
    fake: FakePlatform

    async def post(self, path: str, body: bytes | Any) -> httpx.Response:
        """POST raw bytes, or anything else serialized as JSON, with no Content-Type."""
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return await self.http.post(path, content=content)

    async def raw(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send bytes over a fresh socket, read until the server closes; parse the answer."""
        url = urlsplit(self.base_url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            writer.write(request)
            await writer.drain()
            answer = await reader.read()
        finally:
            writer.close()
            await writer.wait_closed()
        head, _, body = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers, body


@contextlib.asynccontextmanager
async def running_api(settings: ApiSettings) -> AsyncIterator[Api]:
    fake = FakePlatform()
    async with (
        serving(create_app(fake, settings)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        yield Api(base_url, http, fake)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api() -> AsyncIterator[Api]:
    """Default settings: RU default language, errors answered with 200."""
    async with running_api(ApiSettings()) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api_en400() -> AsyncIterator[Api]:
    """EN default language, document errors answered with 400."""
    async with running_api(ApiSettings(error_status="400", default_lang=Lang.EN)) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api_small() -> AsyncIterator[Api]:
    """Tight bounds: 1 KiB bodies, 3 recipients."""
    async with running_api(ApiSettings(max_body_bytes=1024, max_recipients=3)) as running:
        yield running


@pytest.fixture
def fake(api: Api) -> FakePlatform:
    return api.fake
