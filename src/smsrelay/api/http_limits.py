"""Connection limits of the HTTP server: header and body read time, keep-alive idle time and
the number of open connections (docs/security.md).

uvicorn bounds only the idle time *between* requests (``timeout_keep_alive``, armed after a
response): a peer that connects and never finishes its request line or headers, or declares a
body and never sends it, holds its connection and its buffers forever, and any number of
connections is accepted. :class:`BoundedHttpProtocol` (the lenient request-line protocol of
:mod:`.lenient_http` plus these limits) closes such connections:

* **headers**: from the connection (or the first byte of the next request on a kept-alive
  connection) to the end of the headers, at most ``header_timeout`` seconds;
* **body**: from the end of the headers to the end of the body, at most ``body_timeout``;
* **idle**: between requests, ``keepalive_timeout`` (uvicorn's own timer, configured here);
* **connections**: above ``max_connections`` open connections a new one is closed at once.

Build the uvicorn protocol class with :func:`bounded_protocol` and the config with
:func:`server_config`; ``smsrelay serve`` does both from the ``SMSRELAY_HTTP_*`` settings.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

import uvicorn

from .lenient_http import LenientHttpToolsProtocol

__all__ = ["BoundedHttpProtocol", "HttpLimits", "bounded_protocol", "server_config"]


@dataclass(frozen=True, slots=True)
class HttpLimits:
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keepalive_timeout: float = 5.0
    max_connections: int = 1000

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout", "keepalive_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.max_connections < 1:
            raise ValueError("max_connections must be positive")


class BoundedHttpProtocol(LenientHttpToolsProtocol):
    """The lenient httptools protocol with read deadlines and a connection cap."""

    limits: ClassVar[HttpLimits] = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._reading = False  # a request is being read (headers or body)

    # --- the deadline ---------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    # --- uvicorn's protocol interface -----------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.close()  # over the cap: refused before reading anything
            return
        self._reading = True
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _request_started(self) -> None:
        """The first byte of a request (the next one on a kept-alive or pipelined connection)."""
        if not self._reading:
            self._reading = True
            self._arm(self.limits.header_timeout)

    def data_received(self, data: bytes) -> None:
        self._request_started()
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._request_started()  # a pipelined request begins inside the same read
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._arm(self.limits.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()  # the request is read; the application's time is its own
        self._reading = False
        super().on_message_complete()


def bounded_protocol(limits: HttpLimits) -> type[BoundedHttpProtocol]:
    """A :class:`BoundedHttpProtocol` subclass with ``limits`` (uvicorn wants a class)."""
    return type("BoundedHttpProtocol", (BoundedHttpProtocol,), {"limits": limits})


def server_config(app: Any, *, host: str, port: int, limits: HttpLimits, **extra: Any) -> Any:
    """The ``uvicorn.Config`` serving ``app`` with ``limits`` and the lenient request line."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=bounded_protocol(limits),
        # uvicorn annotates an int, but its keep-alive timer (loop.call_later) takes any float
        timeout_keep_alive=limits.keepalive_timeout,  # type: ignore[arg-type]
        **extra,
    )
