"""Sloppy GET clients (spec §1.3): unencoded request lines and tolerant query parsing.

Real Webcom clients put the message text into the URL without encoding it: Cyrillic as raw
UTF-8 bytes, spaces, ``Код: 1234``. Both HTTP parsers uvicorn offers refuse such a request line
with 400 before the application sees it, so two pieces work together:

* :func:`repair_request_line` (pure, bytes in and out) percent-encodes, inside the request
  target only, every byte a strict parser refuses: bytes ``>= 0x80``, spaces (the target is
  everything between the method and the final ``HTTP/x.y``) and a few ASCII characters;
  :class:`LenientHttpToolsProtocol` applies it to each request's first line before httptools
  parses it (pass it as ``uvicorn.Config(http=...)``). A line that does not look like a request
  line is left alone, so the parser still refuses garbage.
* :func:`parse_query` decodes a query string (or a form body) the way PHP's tolerant clients
  expect: ``%XX`` where it is a valid escape, a stray ``%`` kept literally, ``+`` as a space,
  raw bytes as they are; the result is UTF-8, or Windows-1251 when the bytes are not UTF-8
  (old Russian clients encode their escapes in cp1251). Repeated keys: the last one wins (PHP).
  A piece without ``=`` right after a text parameter is taken as an unencoded ``&`` inside the
  text (``text=Tom & Jerry``).

Pipelined requests after the first in one read are passed through unrepaired (rare; a strict
parse of them is still correct for well-formed clients).
"""

from __future__ import annotations

import re
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = [
    "MAX_QUERY_PARAMS",
    "MAX_REQUEST_LINE",
    "LenientHttpToolsProtocol",
    "parse_query",
    "repair_request_line",
]

#: Longest request line buffered for repair; a longer one goes to the parser as it is.
MAX_REQUEST_LINE: Final = 64 * 1024
#: Most ``key=value`` pieces looked at in one query or body; the rest is ignored.
MAX_QUERY_PARAMS: Final = 256

_VERSION = re.compile(rb"HTTP/[0-9]\.[0-9]\r?\n?", re.ASCII)
_METHOD = re.compile(rb"[A-Z]{3,10}", re.ASCII)
#: Percent-encoded inside the target: controls, space, non-ASCII, what RFC 3986 forbids and
#: ``#`` (a client never sends a fragment: a raw ``#`` is part of an unencoded text).
_UNSAFE: Final = (
    frozenset(range(0x00, 0x21)) | frozenset(range(0x7F, 0x100)) | frozenset(b'"#<>\\^`{|}')
)
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
#: Parameters whose value may contain an unencoded ``&`` (see module docstring).
_TEXT_KEYS: Final = frozenset({"text", "text_viber"})


def repair_request_line(line: bytes) -> bytes:
    """``GET /a?text=Код: 1 HTTP/1.1\\r\\n`` -> ``GET /a?text=%D0%9A...%201 HTTP/1.1\\r\\n``.

    Only a line of the form ``METHOD SP target SP HTTP/x.y`` is changed, and only its target.
    """
    first = line.find(b" ")
    last = line.rfind(b" ")
    if first <= 0 or last <= first + 1:
        return line
    method, target, version = line[:first], line[first + 1 : last], line[last + 1 :]
    if _METHOD.fullmatch(method) is None or _VERSION.fullmatch(version) is None:
        return line
    if not any(byte in _UNSAFE for byte in target):
        return line
    fixed = bytearray()
    for byte in target:
        if byte in _UNSAFE:
            fixed += b"%%%02X" % byte
        else:
            fixed.append(byte)
    return method + b" " + bytes(fixed) + b" " + version


class LenientHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with :func:`repair_request_line` on each request line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._line_start = True  # the next byte begins a request line
        self._pending = b""

    def data_received(self, data: bytes) -> None:
        if self._line_start:
            data = self._pending + data
            end = data.find(b"\n")
            if end < 0 and len(data) <= MAX_REQUEST_LINE:
                self._pending = data  # wait for the whole line
                return
            self._pending = b""
            self._line_start = False
            if end >= 0:
                data = repair_request_line(data[: end + 1]) + data[end + 1 :]
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._line_start = False
        super().on_message_begin()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._line_start = True


def _unquote(raw: bytes) -> str:
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        byte = raw[i]
        if byte == 0x25 and i + 2 < n and raw[i + 1] in _HEX and raw[i + 2] in _HEX:  # %XX
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
            continue
        out.append(0x20 if byte == 0x2B else byte)  # '+' is a space
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return out.decode("cp1251", errors="replace")


def parse_query(raw: bytes | str) -> dict[str, str]:
    """A query string or form body -> ``{key: value}`` (tolerant; see module docstring).

    Keys are matched as sent (case-sensitive, like PHP); empty keys are dropped.
    """
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    params: dict[str, str] = {}
    previous: str | None = None
    for count, piece in enumerate(data.split(b"&")):
        if count >= MAX_QUERY_PARAMS:
            break
        if b"=" not in piece:
            if previous in _TEXT_KEYS and piece:
                params[previous] += "&" + _unquote(piece)
                continue
            key, value = _unquote(piece).strip(), ""
        else:
            raw_key, raw_value = piece.split(b"=", 1)
            key, value = _unquote(raw_key).strip(), _unquote(raw_value)
        if not key:
            previous = None
            continue
        params.pop(key, None)  # the last occurrence wins, and keeps its place
        params[key] = value
        previous = key
    return params
