"""``docs/api.md`` is executed: every request in it is sent to a running platform and the answer
compared with the one the document shows (SQLite and PostgreSQL), so the reference fails CI
the day it stops being true.

The conventions (written down at the top of ``docs/api.md``):

* a ```` ```http ```` block is a request (request line, headers, blank line, body) and the next
  fenced block, a ```` ```response ```` block, is its answer (``HTTP/1.1 <code>``, headers that
  must match, blank line, the exact body);
* a ```` ```push ```` block is a webhook push the platform makes (the request line, headers,
  body), compared with the next push the test's receiver gets;
* in an answer, ``{{id}}`` is any integer, ``{{id:NAME}}`` one remembered as ``NAME`` (a later
  request says ``{{NAME}}``), ``{{time}}`` a ``YYYY-MM-DD HH:MM:SS``, ``{{date}}`` a
  ``YYYY-MM-DD``, ``{{number}}`` a decimal, ``{{token}}`` a token, ``{{hex}}`` hex digits;
  a last newline of an answer is not shown;
* ``<!-- test: … -->`` comments drive what a client cannot: ``hold`` / ``release`` the
  carrier's answers, ``wait NAME`` until that message has its final status, ``mo FROM TO TEXT``
  an incoming SMS from the simulated carrier, ``webhook LOGIN json|xml [request]`` point the
  account's webhook at the test's receiver.

The platform is seeded with what the examples use (see :func:`seed`).
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn

from docs.blocks import DOCS, Block, blocks
from e2e.conftest import Platform, StatusWaiter
from smsrelay.api.lenient_http import LenientHttpToolsProtocol
from smsrelay.api.literals import (
    GET_PHONE_MISSING,
    UNKNOWN_ID_STATE,
    UNLIMITED,
    Dialect,
    SenderResult,
    document_error,
    recipient_error,
    sender_result,
)
from smsrelay.bootstrap import build_runtime
from smsrelay.clock import OffsetClock
from smsrelay.config import Settings
from smsrelay.domain.accounts import Lang
from smsrelay.domain.errors import DocumentErrorCode, RecipientError
from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.services.webhooks import WebhookFormat, XmlRoot
from smsrelay.simulator.smsc import Smsc
from webhooks.conftest import Receiver

API = DOCS / "api.md"

#: The accounts the examples use: login -> (password, token).
SHOP = ("shop", "shop-secret", "0123456789abcdef0123456789abcdef")
SHOP_EN = ("shop_en", "shop-en-secret", "fedcba9876543210fedcba9876543210")
CLIENT = ("client1", "client1-secret", "00112233445566778899aabbccddeeff")

_PLACEHOLDER = re.compile(r"\{\{(id|time|date|token|hex|number)(?::(\w+))?\}\}")
_PATTERNS = {
    "id": r"\d+",
    "time": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
    "date": r"\d{4}-\d\d-\d\d",
    "token": r"[A-Za-z0-9_-]+",
    "hex": r"[0-9a-f]+",
    "number": r"-?\d+(?:\.\d+)?",
}
_DIRECTIVE = re.compile(r"^<!--\s*test:\s*(.*?)\s*-->", re.M)


@dataclass
class Step:
    """One thing the document asks: a directive, a request with its answer, or a push."""

    where: str
    directive: str = ""
    request: Block | None = None
    response: Block | None = None


def steps() -> list[Step]:
    """The document's directives, request/answer pairs and pushes, in document order."""
    text = API.read_text(encoding="utf-8")
    found: list[tuple[int, Step]] = []
    for m in _DIRECTIVE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        found.append((line, Step(f"api.md:{line}", directive=m.group(1))))
    fenced = blocks(API)
    for i, b in enumerate(fenced):
        if b.lang == "http":
            answer = fenced[i + 1] if i + 1 < len(fenced) else None
            assert answer is not None and answer.lang == "response", (
                f"{b.where}: a ```http block must be followed by a ```response block"
            )
            found.append((b.line, Step(b.where, request=b, response=answer)))
        elif b.lang == "push":
            found.append((b.line, Step(b.where, response=b)))
    return [s for _, s in sorted(found, key=lambda f: f[0])]


def _head_and_body(text: str) -> tuple[list[str], str]:
    head, _, body = text.partition("\n\n")
    return head.splitlines(), body.removesuffix("\n")


@dataclass
class Runner:
    platform: Platform
    receiver: Receiver
    values: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    pushes_seen: int = 0

    def fill(self, text: str) -> str:
        return re.sub(r"\{\{(\w+)\}\}", lambda m: self.values[m.group(1)], text)

    def matches(self, expected: str, actual: str) -> bool:
        """``actual`` is ``expected`` with its placeholders filled; remembers named values."""
        expected = re.sub(
            r"\{\{([A-Z]\w*)\}\}", lambda m: self.values.get(m.group(1), m.group(0)), expected
        )
        pattern, names, pos = [], [], 0
        for m in _PLACEHOLDER.finditer(expected):
            pattern.append(re.escape(expected[pos : m.start()]))
            pattern.append(f"({_PATTERNS[m.group(1)]})")
            names.append(m.group(2))
            pos = m.end()
        pattern.append(re.escape(expected[pos:]))
        found = re.fullmatch("".join(pattern), actual, re.S)
        if found is None:
            return False
        for name, value in zip(names, found.groups(), strict=True):
            if name:
                self.values[name] = value
        return True

    async def run(self, step: Step) -> None:
        if step.directive:
            await self.directive(step.directive)
        elif step.request is not None:
            await self.exchange(step)
        else:
            await self.push(step)

    async def directive(self, text: str) -> None:
        word, *args = text.split()
        smsc = self.platform.runtime.simulator
        assert isinstance(smsc, Smsc)
        if word == "hold":
            smsc.hold_responses()
        elif word == "release":
            smsc.release_responses()
        elif word == "wait":
            missing = [a for a in args if a not in self.values]
            if missing:
                self.failures.append(f"wait: no value for {missing} (an earlier answer differed)")
                return
            await self.platform.waiter.final([int(self.values[a]) for a in args])
        elif word == "mo":
            source, destination, *words = args
            await smsc.inject_mo(source, destination, " ".join(words))
            await self.platform.runtime.extras["inbound"].flushed()
        elif word == "webhook":
            login, fmt, *root = args
            record = await self.platform.runtime.stores.accounts.find_by_login(login)
            assert record is not None
            await self.platform.runtime.extras["webhooks"].set(
                record.account,
                self.receiver.url(),
                format=WebhookFormat(fmt),
                xml_root=XmlRoot(root[0]) if root else None,
            )
        else:
            raise AssertionError(f"unknown directive {text!r}")

    async def exchange(self, step: Step) -> None:
        assert step.request is not None and step.response is not None
        try:
            head, body = _head_and_body(self.fill(step.request.text))
        except KeyError as exc:
            self.failures.append(f"{step.where}: no value for {exc} (an earlier answer differed)")
            return
        method, target = head[0].split()[:2]
        headers = dict(line.split(": ", 1) for line in head[1:])
        content = body.encode()
        if headers.get("Content-Type", "").startswith("multipart/"):
            content = body.replace("\n", "\r\n").encode() + b"\r\n"
        answer = await self.platform.http.request(
            method, target, headers=headers, content=content or None
        )
        head, body = _head_and_body(step.response.text)
        wanted_status = int(head[0].split()[1])
        problems = []
        if wanted_status != answer.status_code:
            problems.append(f"status {answer.status_code}, the document says {wanted_status}")
        self.compare(step.where, head[1:], body, answer.headers, answer.text, problems)

    def compare(
        self,
        where: str,
        head: list[str],
        body: str,
        headers: httpx.Headers,
        text: str,
        problems: list[str],
    ) -> None:
        for line in head:
            name, value = line.split(": ", 1)
            if headers.get(name, "").replace(" ", "").lower() != value.replace(" ", "").lower():
                problems.append(f"{name}: {headers.get(name)!r}, the document says {value!r}")
        if not self.matches(body, text.removesuffix("\n")):  # a last newline is not shown
            problems.append(f"the answer is:\n{text}\n--- the document says:\n{body}")
        if problems:
            self.failures.append(f"{where}: " + "\n".join(problems))

    async def push(self, step: Step) -> None:
        assert step.response is not None
        self.pushes_seen += 1
        pushes = await self.receiver.wait_for(self.pushes_seen)
        got = pushes[self.pushes_seen - 1]
        head, body = _head_and_body(step.response.text)
        method, path = head[0].split()[:2]
        problems = []
        if (method, path) != ("POST", got.path):
            problems.append(f"pushed to {got.path}, the document says {method} {path}")
        self.compare(
            step.where, head[1:], body, httpx.Headers(got.headers), got.body.decode(), problems
        )


async def seed(p: Platform) -> None:
    """What the examples use: three accounts with known passwords and tokens, an approved
    sender, prices; ``client1`` is a sub-account of ``shop`` (X20); the number 3443 is
    ``shop``'s for incoming SMS (X7)."""
    admin = p.runtime.admin
    login, password, token = SHOP
    await admin.create_account(login, password, token=token, balance=Money.parse("1000"))
    await admin.add_sender(login, "MyShop", approve=True)
    login, password, token = SHOP_EN
    await admin.create_account(
        login, password, token=token, balance=Money.parse("100"), lang=Lang.EN
    )
    await admin.add_sender(login, "MyShop", approve=True)
    login, password, token = CLIENT
    await admin.create_account(login, password, token=token, parent=SHOP[0])
    shop = await p.runtime.stores.accounts.find_by_login(SHOP[0])
    assert shop is not None
    await p.runtime.extras["inbound"].add_number(shop.account.id, "3443", None)


async def start_reference_platform(database_url: str, tmp: Path) -> AsyncIterator[Platform]:
    """The whole platform over HTTP as ``smsrelay serve`` runs it, the carrier and Viber
    simulators included. The API listens on a socket bound first, so that the Viber
    simulator's status callbacks know where to go."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = Settings(
        database_url=database_url,
        port=port,
        data_dir=str(tmp),
        simulator_port=0,
        smpp_server_port=0,
        simulator_receipt_delay=0.0,
        viber_simulator_port=0,
        viber_simulator_callback_delay=0.0,
        auth_cache_seconds=0.0,
        poll_interval=0.05,
        webhook_poll_interval=0.05,
        webhook_allow_private=True,  # the examples' webhook receiver listens on loopback
    )
    clock = OffsetClock()
    runtime = await build_runtime(settings, clock)
    waiter = StatusWaiter()
    assert runtime.engine is not None
    runtime.engine.add_listener(waiter)
    runtime.extras["viber"].add_listener(waiter)
    for prefix, price, area in (("7", "1.50", "Russia"), ("380", "2.00", "Ukraine")):
        await runtime.admin.set_price(prefix, Money.parse(price), area, Channel.SMS)
    await runtime.admin.set_price("7", Money.parse("1.00"), "Russia", Channel.VIBER)
    await runtime.start()
    server = uvicorn.Server(
        uvicorn.Config(
            runtime.app,
            access_log=False,
            log_level="warning",
            lifespan="off",
            http=LenientHttpToolsProtocol,
        )
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=20.0) as http:
        try:
            yield Platform(runtime, base, http, clock, waiter)
        finally:
            server.should_exit = True
            await serving
            await runtime.stop()
            sock.close()


@pytest.fixture
async def reference(database_url: str, tmp_path: Path) -> AsyncIterator[Runner]:
    receiver = Receiver()
    await receiver.start()
    try:
        async for platform in start_reference_platform(database_url, tmp_path):
            await seed(platform)
            yield Runner(platform, receiver)
    finally:
        await receiver.stop()


def test_the_reference_has_examples() -> None:
    """Every request has its answer (checked while parsing) and there are many of them."""
    assert sum(1 for s in steps() if s.request is not None) >= 30


async def test_every_example_in_the_api_reference(reference: Runner) -> None:
    for step in steps():
        await reference.run(step)
    assert not reference.failures, "\n\n".join(reference.failures)


def _literals() -> set[str]:
    found = {GET_PHONE_MISSING, UNKNOWN_ID_STATE, *UNLIMITED.values()}
    for lang in Lang:
        for dialect in Dialect:
            found |= {document_error(code, dialect, lang) for code in DocumentErrorCode}
            found |= {recipient_error(error, dialect, lang) for error in RecipientError}
        found |= {sender_result(result, lang) for result in SenderResult}
    return found


def test_every_error_literal_is_in_the_reference() -> None:
    """Each text a client may be answered (``api/literals.py``) is listed, as a code span."""
    text = API.read_text(encoding="utf-8")
    missing = sorted(t for t in _literals() if f"`{t}`" not in text)
    assert [] == missing
