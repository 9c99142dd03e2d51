"""The XML dialect's account endpoints (spec §4): X5 senders, X6 add senders, X18 time,
X19 file upload, X20 reseller credits.

* X5 ``POST /xml/originator.php``: ``any_originator`` ``TRUE`` (list omitted) or ``FALSE`` and
  ``list_originator`` with one ``originator`` per name (attributes ``MCC MNC template comment
  history operator state``, always present, ``""`` when unknown).
* X6 ``POST /xml/add_originator.php``: one ``<originator id_originator="N">result</originator>``
  per ``originator`` element; attributes are read case-insensitively (``INN``/``inn``);
  ``operator`` and ``file`` are read inside the ``originator`` first, then at the top level.
  A name breaking §1.10 answers the rule text without ``id_originator``. A ``file@id`` that is
  not one of the account's own X19 uploads refuses the document as a format error.
* X18 ``POST /xml/time.php``: ``<time>YYYY-MM-DD HH:MM:SS</time>``, Moscow time plus the
  account's offset.
* X19 ``POST /xml/file.php``: ``multipart/form-data`` (``login``, ``password`` or the SIC
  ``passsword``, or ``token``; ``file``); answers the id as plain text, or ``-Failed to copy
  file`` / ``-Invalid login or password``.
* X20 ``POST /xml/add_balance.php``: ``<client login_client balance type_transaction/>`` per
  credit (unclosed ``<client …>`` tags, as in the EN example, are tolerated); answers
  ``<transaction login id_transaction/>`` with a number, ``NO_USER`` or ``NO_MONEY`` (ours).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Final
from xml.etree.ElementTree import Element

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message

from ..clock import Clock
from ..domain.accounts import Lang
from ..domain.errors import DocumentError, DocumentErrorCode, DomainError, ValidationError
from ..services.commands import Credentials
from ..services.facade import Platform
from ..services.files import FileRefused, FileService
from ..services.localtime import to_local
from ..services.reseller import CreditOrder, CreditOutcome, ResellerService
from ..services.senders import (
    Registration,
    RegistrationOutcome,
    RegistrationResult,
    SenderListing,
    SenderRegistry,
)
from .errors import DocumentRefusal, document_code, document_status, internal_error
from .literals import SenderResult, sender_result
from .timefmt import format_wire_datetime
from .xml_core import XML_MEDIA_TYPE, XmlEndpoints, attr, element, parse_document, render_document
from .xml_send import account_of

__all__ = [
    "FILE_BAD_CREDENTIALS",
    "FILE_FAILED",
    "MAX_CLIENTS",
    "parse_credits",
    "parse_registrations",
    "render_credits",
    "render_registrations",
    "render_senders",
    "routes",
]

#: X19 plain-text answers (spec §4 X19, EN; no RU text is known).
FILE_FAILED: Final = "-Failed to copy file"
FILE_BAD_CREDENTIALS: Final = "-Invalid login or password"
#: Most ``client`` elements (X20) or ``originator`` elements (X6) in one document.
MAX_CLIENTS: Final = 1000
_PLAIN: Final = "text/plain; charset=utf-8"
_METHODS: Final = ["GET", "POST"]
_MULTIPART_OVERHEAD: Final = 64 * 1024
_UNCLOSED_CLIENT = re.compile(rb"<client(\s[^<>]*?)?\s*(?<!/)>")
_CLIENT_END = re.compile(rb"</client\s*>")
_RESULTS: Final = {
    RegistrationResult.ADDED: SenderResult.ADDED,
    RegistrationResult.QUEUED: SenderResult.QUEUED,
    RegistrationResult.BAD_NAME: SenderResult.BAD_NAME,
}


def _bad_format() -> DocumentError:
    return DocumentError(DocumentErrorCode.BAD_FORMAT)


# --- X5 ------------------------------------------------------------------------------------------


def render_senders(any_sender: bool, listings: Sequence[SenderListing]) -> list[str]:
    if any_sender:
        return [element("any_originator", None, "TRUE")]
    items = "".join(
        element(
            "originator",
            {
                "MCC": s.mcc,
                "MNC": s.mnc,
                "template": s.template,
                "comment": s.comment,
                "history": s.history,
                "operator": s.operator,
                "state": s.state.value,
            },
            s.name,
        )
        for s in listings
    )
    return [
        element("any_originator", None, "FALSE"),
        f"<list_originator>{items}</list_originator>",
    ]


# --- X6 ------------------------------------------------------------------------------------------


def _value(el: Element | None, name: str) -> str:
    if el is None:
        return ""
    return (attr(el, name) or "").strip()


def _file_id(el: Element | None) -> int | None:
    raw = _value(el, "id")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise _bad_format()
    return int(raw)


def _operator_name(el: Element | None) -> str:
    if el is None:
        return ""
    return _value(el, "name") or (el.text or "").strip()


def parse_registrations(root: Element) -> list[Registration]:
    """Every top-level ``originator`` element; none at all is a format error."""
    originators = root.findall("originator")
    if not originators or len(originators) > MAX_CLIENTS:
        raise _bad_format()
    shared_operator, shared_file = root.find("operator"), root.find("file")
    out: list[Registration] = []
    for o in originators:
        operator = o.find("operator")
        operator = shared_operator if operator is None else operator
        file = o.find("file")
        file = shared_file if file is None else file
        out.append(
            Registration(
                name=(o.text or "").strip(),
                inn=_value(o, "inn"),
                kpp=_value(o, "kpp"),
                ogrn=_value(o, "ogrn"),
                name_counterparty=_value(o, "name_counterparty"),
                template=_value(o, "template"),
                comment=_value(o, "comment"),
                operator=_operator_name(operator),
                mcc=_value(operator, "mcc"),
                mnc=_value(operator, "mnc"),
                file_href=_value(file, "href"),
                file_id=_file_id(file),
            )
        )
    return out


def render_registrations(outcomes: Sequence[RegistrationOutcome], lang: Lang) -> list[str]:
    return [
        element(
            "originator",
            {"id_originator": o.id_originator},
            sender_result(_RESULTS[o.result], lang),
        )
        for o in outcomes
    ]


# --- X20 -----------------------------------------------------------------------------------------


def close_client_tags(body: bytes) -> bytes:
    """The EN example's unclosed ``<client …>`` tags made empty elements (§8.19)."""
    return _UNCLOSED_CLIENT.sub(rb"<client\1/>", _CLIENT_END.sub(b"", body))


def parse_credits(root: Element) -> list[CreditOrder]:
    clients = list(root.iter("client"))
    if len(clients) > MAX_CLIENTS:
        raise _bad_format()
    orders: list[CreditOrder] = []
    for c in clients:
        login, balance, kind = (attr(c, n) for n in ("login_client", "balance", "type_transaction"))
        if login is None or balance is None or kind is None:
            raise _bad_format()
        orders.append(CreditOrder.parse(login.strip(), balance, kind))
    return orders


def render_credits(outcomes: Sequence[CreditOutcome]) -> list[str]:
    out: list[str] = []
    for o in outcomes:
        tx = o.refusal.value if o.refusal is not None else o.id_transaction
        out.append(element("transaction", {"login": o.login, "id_transaction": tx}))
    return out


# --- wiring --------------------------------------------------------------------------------------


class _XmlAccount:
    def __init__(
        self,
        platform: Platform,
        senders: SenderRegistry,
        files: FileService,
        reseller: ResellerService,
        clock: Clock,
    ) -> None:
        self._platform = platform
        self._senders = senders
        self._files = files
        self._reseller = reseller
        self._clock = clock

    async def originators(self, root: Element) -> list[str]:
        account = await account_of(self._platform, root)
        listings = [] if account.any_sender else await self._senders.listing(account)
        return render_senders(account.any_sender, listings)

    async def add_originators(self, root: Element) -> list[str]:
        registrations = parse_registrations(root)
        account = await account_of(self._platform, root)
        try:
            outcomes = await self._senders.register(account, registrations)
        except ValidationError as exc:
            raise DocumentRefusal(DocumentErrorCode.BAD_FORMAT, account.lang) from exc
        return render_registrations(outcomes, account.lang)

    async def time(self, root: Element) -> list[str]:
        account = await account_of(self._platform, root)
        local = to_local(self._clock.now(), account)
        return [element("time", None, format_wire_datetime(local))]

    async def add_balance(self, root: Element) -> list[str]:
        orders = parse_credits(root)
        account = await account_of(self._platform, root)
        return render_credits(await self._reseller.credit(account, orders))


def _tolerant_endpoint(
    xml: XmlEndpoints, limit: int, route: str, operation: Callable[[Element], Awaitable[list[str]]]
) -> Callable[[Request], Awaitable[Response]]:
    """Like ``XmlEndpoints.wrap``, retrying a malformed body with its ``<client>`` tags closed."""
    from .app import read_body

    async def endpoint(request: Request) -> Response:
        try:
            if request.method != "POST":
                raise DocumentError(DocumentErrorCode.NO_POST_DATA)
            body = await read_body(request, limit)
            try:
                root = parse_document(body)
            except DocumentError as exc:
                fixed = close_client_tags(body)
                if exc.code is not DocumentErrorCode.BAD_FORMAT or fixed == body:
                    raise
                root = parse_document(fixed)
            children = await operation(root)
        except DocumentRefusal as exc:
            return xml.refusal(exc.code, exc.lang)
        except DomainError as exc:
            return xml.refusal(document_code(exc), None)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as exc:
            return internal_error(exc, route)
        return Response(render_document(children), media_type=XML_MEDIA_TYPE)

    return endpoint


class _Upload:
    """X19: a bounded multipart body, credentials, one stored file; plain-text answers."""

    def __init__(self, platform: Platform, files: FileService, error_status: int) -> None:
        self._platform = platform
        self._files = files
        self._error_status = error_status
        self._limit = files.max_bytes + _MULTIPART_OVERHEAD

    def _answer(self, text: str, ok: bool = False) -> Response:
        return Response(text, status_code=200 if ok else self._error_status, media_type=_PLAIN)

    async def handle(self, request: Request) -> Response:
        from .app import read_body

        try:
            if request.method != "POST":
                return self._answer(FILE_FAILED)
            try:
                body = await read_body(request, self._limit)
            except DocumentError:
                return self._answer(FILE_FAILED)
            return await self._upload(request, body)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as exc:
            return internal_error(exc, "/xml/file.php")

    async def _upload(self, request: Request, body: bytes) -> Response:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            async with Request(request.scope, replay).form(max_files=4, max_fields=16) as form:
                fields = {
                    k: v for k, v in form.multi_items() if isinstance(v, str) and len(v) <= 256
                }
                upload = form.get("file")
                credentials = _form_credentials(fields)
                if credentials is None:
                    return self._answer(FILE_BAD_CREDENTIALS)
                try:
                    account = await self._platform.authenticate(credentials)
                except DomainError:
                    return self._answer(FILE_BAD_CREDENTIALS)
                if account.locked:
                    return self._answer(FILE_BAD_CREDENTIALS)
                if not isinstance(upload, UploadFile):
                    return self._answer(FILE_FAILED)
                data = await upload.read(self._files.max_bytes + 1)
                try:
                    file_id = await self._files.save(
                        account, upload.filename or "", upload.content_type or "", data
                    )
                except FileRefused:
                    return self._answer(FILE_FAILED)
        except (MultiPartException, HTTPException):  # malformed multipart, too many parts
            return self._answer(FILE_FAILED)
        return self._answer(str(file_id), ok=True)


def _form_credentials(fields: dict[str, str]) -> Credentials | None:
    token = fields.get("token") or None
    if token:
        return Credentials(token=token)
    login = fields.get("login") or None
    password = fields.get("password") or fields.get("passsword") or None  # SIC in the docs
    if login is None or password is None:
        return None
    return Credentials(login=login, password=password)


def routes(
    platform: Platform,
    xml: XmlEndpoints,
    senders: SenderRegistry,
    files: FileService,
    reseller: ResellerService,
    clock: Clock,
    *,
    max_body_bytes: int,
    error_status: str = "200",
) -> list[BaseRoute]:
    """X5, X6, X18, X19, X20."""
    api = _XmlAccount(platform, senders, files, reseller, clock)
    error_code = document_status("400" if error_status == "400" else "200")
    add_balance = _tolerant_endpoint(xml, max_body_bytes, "/xml/add_balance.php", api.add_balance)
    return [
        Route(
            "/xml/originator.php",
            xml.wrap("/xml/originator.php", api.originators),
            methods=_METHODS,
        ),
        Route(
            "/xml/add_originator.php",
            xml.wrap("/xml/add_originator.php", api.add_originators),
            methods=_METHODS,
        ),
        Route("/xml/time.php", xml.wrap("/xml/time.php", api.time), methods=_METHODS),
        Route("/xml/file.php", _Upload(platform, files, error_code).handle, methods=_METHODS),
        Route("/xml/add_balance.php", add_balance, methods=_METHODS),
    ]
