"""The HTTP application: routes, bounded bodies, the JSON dialect wired to the ``Platform``.

The XML and GET dialects, W6, X7, Viber callbacks and G5 registration add their routes through
``extra_routes`` (``bootstrap`` collects them; ``docs/api.md`` lists every endpoint). Here (spec
§0, §1.1)::

    POST /json, /json/       J1 send            GET on these three answers
    POST /json/state.php     J2 status          "POST data is missing"
    POST /json/balance.php   J4 balance
    GET  /health             "ok" (text/plain), for operators and probes

Per request: one bounded body read, one ``orjson.loads``, the platform call, one render. No
per-request logging (it costs a large share of throughput); the server's access log should be
off too (``uvicorn --no-access-log``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account, Lang
from ..domain.errors import DocumentError, DocumentErrorCode, DomainError
from ..services.commands import Credentials
from ..services.facade import Platform
from . import json_dialect
from .errors import (
    JSON_MEDIA_TYPE,
    DocumentRefusal,
    ErrorStatusMode,
    document_code,
    document_status,
    internal_error,
    json_error_body,
)
from .literals import Dialect, document_error

__all__ = ["ApiSettings", "create_app", "read_body"]

_MiB = 1024 * 1024
_POST_METHODS = ["GET", "POST"]  # GET is accepted only to answer "POST data is missing"


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """HTTP API settings; validated on construction."""

    #: "200": error documents are answered with 200 like everything else (§1.4 default);
    #: "400": document-level errors are answered with 400.
    error_status: ErrorStatusMode = "200"
    #: Larger bodies are refused as a format error without reading them further.
    max_body_bytes: int = 2 * _MiB
    #: Most recipients (J1) or ids (J2) in one document; more is a format error.
    max_recipients: int = 10_000
    #: Language of document errors when the account is not known yet (§1.8: the server speaks RU).
    default_lang: Lang = Lang.RU

    def __post_init__(self) -> None:
        document_status(self.error_status)
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be positive, got {self.max_body_bytes!r}")
        if self.max_recipients < 1:
            raise ValueError(f"max_recipients must be positive, got {self.max_recipients!r}")
        if not isinstance(self.default_lang, Lang):
            raise ValueError(f"default_lang must be a Lang, got {self.default_lang!r}")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes.

    A larger declared Content-Length is refused before reading anything; a longer stream is
    refused as soon as it passes the limit (``DocumentError(BAD_FORMAT)``, §2 has no other
    literal). Raises ``ClientDisconnect`` if the client goes away.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise DocumentError(DocumentErrorCode.BAD_FORMAT)
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise DocumentError(DocumentErrorCode.BAD_FORMAT)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _JsonApi:
    """The three JSON operations: body in, body out; refusals raised as exceptions."""

    __slots__ = ("_max_recipients", "_platform")

    def __init__(self, platform: Platform, max_recipients: int) -> None:
        self._platform = platform
        self._max_recipients = max_recipients

    async def _account(self, credentials: Credentials) -> Account:
        account = await self._platform.authenticate(credentials)
        if account.locked:  # J2 and J4 list "Your account is locked" (§2)
            raise DocumentRefusal(DocumentErrorCode.ACCOUNT_LOCKED, account.lang)
        return account

    async def send(self, body: bytes) -> bytes:
        command = json_dialect.parse_send(body, self._max_recipients)
        # A locked account's sends are refused per recipient (§1.9 row 3) by the storing
        # transaction, which reads the flag authoritatively; see docs/compatibility.md.
        account = await self._platform.authenticate(command.credentials)
        expected = sum(len(item.recipients) for item in command.items)
        if expected == 0:
            return json_dialect.render_send([], account.lang)
        try:
            results = await self._platform.send(account, command.items)
        except DomainError as exc:
            raise DocumentRefusal(document_code(exc), account.lang) from exc
        if len(results) != expected:
            raise RuntimeError(
                f"platform answered {len(results)} results for {expected} recipients"
            )
        return json_dialect.render_send(results, account.lang)

    async def state(self, body: bytes) -> bytes:
        request = json_dialect.parse_state(body, self._max_recipients)
        account = await self._account(request.credentials)
        try:
            views = await self._platform.states(account, request.ids)
        except DomainError as exc:
            raise DocumentRefusal(document_code(exc), account.lang) from exc
        if len(views) != len(request.ids):
            raise RuntimeError(f"platform answered {len(views)} states for {len(request.ids)} ids")
        return json_dialect.render_states(views, request.detail)

    async def balance(self, body: bytes) -> bytes:
        account = await self._account(json_dialect.parse_balance(body))
        try:
            view = await self._platform.balance(account)
        except DomainError as exc:
            raise DocumentRefusal(document_code(exc), account.lang) from exc
        return json_dialect.render_balance(view, account.lang)


Endpoint = Callable[[Request], Awaitable[Response]]


class _JsonEndpoints:
    """Turns ``body -> body`` operations into Starlette endpoints with the error policy."""

    __slots__ = ("_default_lang", "_error_bodies", "_error_status", "_limit")

    def __init__(self, settings: ApiSettings) -> None:
        self._limit = settings.max_body_bytes
        self._default_lang = settings.default_lang
        self._error_status = document_status(settings.error_status)
        self._error_bodies = {
            (code, lang): json_error_body(document_error(code, Dialect.JSON, lang))
            for code in DocumentErrorCode
            for lang in Lang
        }

    def _refusal(self, code: DocumentErrorCode, lang: Lang | None) -> Response:
        body = self._error_bodies[code, lang or self._default_lang]
        return Response(body, status_code=self._error_status, media_type=JSON_MEDIA_TYPE)

    def wrap(self, route: str, operation: Callable[[bytes], Awaitable[bytes]]) -> Endpoint:
        limit = self._limit

        async def endpoint(request: Request) -> Response:
            try:
                if request.method != "POST":
                    raise DocumentError(DocumentErrorCode.NO_POST_DATA)
                content = await operation(await read_body(request, limit))
            except DocumentRefusal as exc:
                return self._refusal(exc.code, exc.lang)
            except DomainError as exc:
                return self._refusal(document_code(exc), None)
            except ClientDisconnect:
                return Response(status_code=400)  # nobody is listening any more
            except Exception as exc:
                return internal_error(exc, route)
            return Response(content, media_type=JSON_MEDIA_TYPE)

        return endpoint


async def _health(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(
    platform: Platform, settings: ApiSettings, extra_routes: Sequence[BaseRoute] = ()
) -> Starlette:
    """The ASGI application serving the JSON dialect for ``platform``, plus ``extra_routes``
    (the XML and GET dialects and other features, built by ``bootstrap``)."""
    api = _JsonApi(platform, settings.max_recipients)
    endpoints = _JsonEndpoints(settings)
    send = endpoints.wrap("/json", api.send)
    routes = [
        Route("/json", send, methods=_POST_METHODS),
        Route("/json/", send, methods=_POST_METHODS),
        Route(
            "/json/state.php", endpoints.wrap("/json/state.php", api.state), methods=_POST_METHODS
        ),
        Route(
            "/json/balance.php",
            endpoints.wrap("/json/balance.php", api.balance),
            methods=_POST_METHODS,
        ),
        Route("/health", _health, methods=["GET"]),
        *extra_routes,
    ]
    return Starlette(routes=routes)
