"""How a request that fails becomes an HTTP answer. HTTP statuses live only in ``api/``.

Tree of what a request can end in::

    DocumentRefusal(code, lang)      ours: a §1.8 refusal with the language to answer in
                                     (None = the platform default: the account is not known yet)
    DomainError                      from the services (smsrelay.domain.errors)
    ├── DocumentError(code)          -> DocumentRefusal(code, default language)
    └── ValidationError              -> DocumentRefusal(BAD_FORMAT, default language)
    any other Exception              -> 500 ``{"error":"internal error"}`` + one log line

A document refusal is answered with a well-formed error document and status 200, or 400 when
the API runs with ``error_status="400"`` (spec §1.4). Per-recipient refusals (§1.9) are not
errors here: they are part of a successful answer.
"""

from __future__ import annotations

import traceback
from typing import Final, Literal

import orjson
import structlog
from starlette.responses import Response

from ..domain.accounts import Lang
from ..domain.errors import DocumentError, DocumentErrorCode, DomainError

__all__ = [
    "INTERNAL_ERROR_STATUS",
    "JSON_MEDIA_TYPE",
    "OK_STATUS",
    "DocumentRefusal",
    "ErrorStatusMode",
    "document_code",
    "document_status",
    "internal_error",
    "json_error_body",
]

#: ``"200"``: every well-formed answer is 200, error documents included (the default, §1.4);
#: ``"400"``: document-level errors are answered with 400.
ErrorStatusMode = Literal["200", "400"]

OK_STATUS: Final = 200
INTERNAL_ERROR_STATUS: Final = 500
JSON_MEDIA_TYPE: Final = "application/json; charset=utf-8"  # §1.3 [INFERRED]

_DOCUMENT_STATUS: Final[dict[str, int]] = {"200": 200, "400": 400}
_INTERNAL_BODY: Final = b'{"error":"internal error"}'

_log = structlog.get_logger("smsrelay.api")


class DocumentRefusal(Exception):
    """The whole document is refused with a §1.8 literal in ``lang`` (None = platform default)."""

    def __init__(self, code: DocumentErrorCode, lang: Lang | None = None) -> None:
        super().__init__(code.value)
        self.code = code
        self.lang = lang


def document_code(exc: DomainError) -> DocumentErrorCode:
    """The §1.8 code a domain error is answered with."""
    if isinstance(exc, DocumentError):
        return exc.code
    return DocumentErrorCode.BAD_FORMAT


def document_status(mode: ErrorStatusMode) -> int:
    """The HTTP status of a document-level error answer."""
    try:
        return _DOCUMENT_STATUS[mode]
    except KeyError:
        raise ValueError(f"error_status must be '200' or '400', got {mode!r}") from None


def json_error_body(text: str) -> bytes:
    """``{"error":"<text>"}`` (spec §2)."""
    return orjson.dumps({"error": text})


def internal_error(exc: Exception, route: str) -> Response:
    """Answer 500 and log one line: the route, the exception type and where it was raised.

    Never the exception message, the body or the credentials: any of them may hold secrets.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    _log.error("api.unhandled_exception", route=route, exc_type=type(exc).__name__, where=where)
    return Response(_INTERNAL_BODY, status_code=INTERNAL_ERROR_STATUS, media_type=JSON_MEDIA_TYPE)
