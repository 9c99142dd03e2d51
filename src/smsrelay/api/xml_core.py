"""The XML dialect's envelope (spec §4): safe parsing, credentials, rendering, error policy.

Every XML endpoint is ``operation(root, credentials-aware helpers) -> list of response child
strings``; :class:`XmlEndpoints` turns it into a Starlette endpoint with the §1.4 status policy.

Parsing is safe: no DTD, no entity declarations, no external entities (billion laughs and XXE
are refused with the "incorrect XML document format" literal), and the body is size-bounded
before parsing. Sloppy client XML the spec documents is tolerated where cheap (§8 item 19):
curly quotes closing attribute values, any Content-Type header, ``<security>`` first or last,
the literal two characters ``\\n`` standing for a newline in message texts.
Responses are always well-formed: built from escaped pieces, never from client text verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Final
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..domain.accounts import Lang
from ..domain.errors import DocumentError, DocumentErrorCode, DomainError
from ..services.commands import Credentials
from .errors import DocumentRefusal, document_code, document_status, internal_error
from .literals import Dialect, document_error

__all__ = [
    "XML_MEDIA_TYPE",
    "XmlEndpoints",
    "XmlOperation",
    "attr",
    "child_text",
    "credentials_of",
    "element",
    "message_text",
    "parse_document",
    "render_document",
]

XML_MEDIA_TYPE: Final = "text/xml; charset=utf-8"  # §1.3 [INFERRED]
_DECLARATION: Final = '<?xml version="1.0" encoding="utf-8"?>\n'

# `id_sms="1234”` (X16 EN example): a curly quote closing a straight-quoted attribute value.
_CURLY_CLOSE = re.compile('="([^"<>\u201c\u201d]*)[\u201d\u201c]')
_CURLY_BOTH = re.compile('=[\u201c\u201d]([^"<>\u201c\u201d]*)[\u201d\u201c]')


def parse_document(body: bytes) -> Element:
    """The request's root element. Raises ``DocumentError`` (NO_POST_DATA / BAD_FORMAT)."""
    if not body or not body.strip():
        raise DocumentError(DocumentErrorCode.NO_POST_DATA)
    try:
        return _parse(body)
    except DocumentError:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise DocumentError(DocumentErrorCode.BAD_FORMAT) from None
        fixed = _CURLY_BOTH.sub(r'="\1"', _CURLY_CLOSE.sub(r'="\1"', text))
        if fixed == text:
            raise
        return _parse(fixed.encode("utf-8"))


def _parse(body: bytes) -> Element:
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeError, LookupError) as exc:
        raise DocumentError(DocumentErrorCode.BAD_FORMAT) from exc
    except Exception as exc:  # expat or a codec it loads failed otherwise: still not a document
        raise DocumentError(DocumentErrorCode.BAD_FORMAT) from exc
    if not isinstance(root, Element):  # pragma: no cover - fromstring always gives an Element
        raise DocumentError(DocumentErrorCode.BAD_FORMAT)
    return root


def credentials_of(root: Element) -> Credentials:
    """``<security><login value/><password value/></security>`` or ``<token value/>``,
    wherever ``<security>`` stands among the root's children (§1.2)."""
    security = root.find("security")
    if security is None:
        raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)

    def value(tag: str) -> str | None:
        el = security.find(tag)
        if el is None:
            return None
        v = el.get("value")
        if v is None:
            v = (el.text or "").strip() or None
        return v

    token = value("token")
    login, password = value("login"), value("password")
    if token:
        return Credentials(token=token)
    if login is None or password is None:
        raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)
    if len(login) > 256 or len(password) > 256:
        raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)
    return Credentials(login=login, password=password)


def attr(el: Element, name: str, default: str | None = None) -> str | None:
    """An attribute, case-insensitively (X6: ``INN`` vs ``inn``)."""
    v = el.get(name)
    if v is not None:
        return v
    low = name.lower()
    for key, val in el.attrib.items():
        if key.lower() == low:
            return val
    return default


def child_text(el: Element, tag: str) -> str | None:
    """Text of the first child ``tag`` (None when absent); surrounding whitespace kept."""
    child = el.find(tag)
    if child is None:
        return None
    return child.text or ""


def message_text(raw: str | None) -> str | None:
    """A message text from XML: the two characters ``\\n`` mean a newline ([WL] §1.3)."""
    if raw is None:
        return None
    return raw.replace("\\r\\n", "\n").replace("\\n", "\n")


def element(
    tag: str, attrs: Mapping[str, object | None] | None = None, text: str | None = None
) -> str:
    """One escaped element; attributes whose value is None are left out."""
    parts = [f"<{tag}"]
    if attrs:
        for k, v in attrs.items():
            if v is not None:
                parts.append(f" {k}={quoteattr(str(v))}")
    if text is None:
        parts.append(" />")
    else:
        parts.append(f">{escape(text)}</{tag}>")
    return "".join(parts)


def render_document(children: Iterable[str], root: str = "response") -> bytes:
    body = "".join(children)
    return f"{_DECLARATION}<{root}>{body}</{root}>".encode()


def error_body(text: str) -> bytes:
    return render_document([element("error", None, text)])


XmlOperation = Callable[[Element], Awaitable[Iterable[str]]]


class XmlEndpoints:
    """Turns ``root -> response children`` operations into endpoints with the error policy."""

    __slots__ = ("_default_lang", "_error_status", "_limit")

    def __init__(self, *, max_body_bytes: int, error_status: str, default_lang: Lang) -> None:
        self._limit = max_body_bytes
        self._default_lang = default_lang
        self._error_status = document_status(error_status)  # type: ignore[arg-type]

    def refusal(self, code: DocumentErrorCode, lang: Lang | None) -> Response:
        text = document_error(code, Dialect.XML, lang or self._default_lang)
        return Response(error_body(text), status_code=self._error_status, media_type=XML_MEDIA_TYPE)

    def wrap(self, route: str, operation: XmlOperation) -> Callable[[Request], Awaitable[Response]]:
        from .app import read_body

        limit = self._limit

        async def endpoint(request: Request) -> Response:
            try:
                if request.method != "POST":
                    raise DocumentError(DocumentErrorCode.NO_POST_DATA)
                root = parse_document(await read_body(request, limit))
                children = await operation(root)
            except DocumentRefusal as exc:
                return self.refusal(exc.code, exc.lang)
            except DomainError as exc:
                return self.refusal(document_code(exc), None)
            except ClientDisconnect:
                return Response(status_code=400)
            except Exception as exc:
                return internal_error(exc, route)
            return Response(render_document(children), media_type=XML_MEDIA_TYPE)

        return endpoint
