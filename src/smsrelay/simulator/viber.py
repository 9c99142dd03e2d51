"""A Viber provider simulator: the generic JSON API of ``docs/viber.md`` on a local HTTP port.

What it does with a message is chosen by the phone's last four digits (like the SMSC)::

    ...9001  accepted, callback "undelivered"
    ...9002  accepted, callback "expired"
    ...9003  refused at send (HTTP 400)
    ...9004  accepted, no callback ever
    ...9005  throttled (HTTP 429, Retry-After: 0) on the first try of that phone, then as other
    ...9006  accepted, callbacks "delivered" then "read"
    ...9007  accepted, callback "undelivered" (the number has no Viber)
    other    accepted, callback "delivered"

Callbacks go to the message's ``callback_url`` after ``callback_delay`` seconds, signed with
the shared token (``X-Signature: sha256=<HMAC>``). HTTP/1.1 is spoken with h11 (sans-I/O);
request bodies are bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import h11
import httpx
import structlog

__all__ = ["OUTCOMES", "ViberOutcome", "ViberSimulator", "ViberSimulatorConfig", "outcome_for"]

log = structlog.get_logger("smsrelay.simulator.viber")

MAX_BODY: Final = 64 * 1024
MAX_TEXT: Final = 1000
SIGNATURE_HEADER: Final = "x-signature"


def sign(secret: str, body: bytes) -> str:
    """The callback signature (the simulator is a separate party: its own copy of the rule)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class ViberOutcome:
    statuses: tuple[str, ...] = ("delivered",)  # callbacks, in order
    refuse: bool = False
    throttle_first: bool = False
    reason: str = ""


OUTCOMES: dict[str, ViberOutcome] = {
    "9001": ViberOutcome(("undelivered",), reason="delivery failed"),
    "9002": ViberOutcome(("expired",)),
    "9003": ViberOutcome((), refuse=True),
    "9004": ViberOutcome(()),
    "9005": ViberOutcome(("delivered",), throttle_first=True),
    "9006": ViberOutcome(("delivered", "read")),
    "9007": ViberOutcome(("undelivered",), reason="not a Viber user"),
}
DEFAULT_OUTCOME = ViberOutcome()


def outcome_for(phone: str) -> ViberOutcome:
    return OUTCOMES.get(phone[-4:], DEFAULT_OUTCOME)


@dataclass(frozen=True, slots=True)
class ViberSimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    token: str = ""  # required bearer token and callback HMAC key ("" = none)
    callback_delay: float = 0.5


@dataclass(slots=True)
class _Response:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)


class ViberSimulator:
    """Start with :meth:`start`; ``url`` is its base URL; :meth:`stop` closes everything."""

    def __init__(self, config: ViberSimulatorConfig | None = None) -> None:
        self._config = config or ViberSimulatorConfig()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self._ids = itertools.count(1)
        self._throttled: set[str] = set()
        self.received: list[dict[str, Any]] = []  # every accepted message, for tests
        self.held = 0  # sends that arrived while held (hold_sends), for tests
        self._answering = asyncio.Event()
        self._answering.set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self._config.host}:{self.port}"

    async def start(self) -> None:
        if self._server is not None:
            return
        self._http = httpx.AsyncClient(timeout=10.0)
        self._server = await asyncio.start_server(
            self._connection, self._config.host, self._config.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def hold_sends(self) -> None:
        """Answer no send until :meth:`release_sends` (a provider that stalls: the sender's
        claims stay in flight, for crash tests)."""
        self._answering.clear()

    def release_sends(self) -> None:
        self._answering.set()

    # --- HTTP ----------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
        try:
            while True:
                request = await _next(conn, reader)
                if not isinstance(request, h11.Request):
                    break
                body = bytearray()
                while True:
                    event = await _next(conn, reader)
                    if isinstance(event, h11.Data):
                        body += event.data
                        if len(body) > MAX_BODY:
                            await _respond(conn, writer, _Response(413, {"error": "too large"}))
                            return
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    else:
                        return
                if not self._answering.is_set():
                    self.held += 1
                    await self._answering.wait()
                await _respond(conn, writer, self._handle(request, bytes(body)))
                if conn.our_state is h11.MUST_CLOSE:
                    break
                conn.start_next_cycle()
        except (h11.ProtocolError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _handle(self, request: h11.Request, body: bytes) -> _Response:
        if request.method != b"POST" or request.target.split(b"?")[0] != b"/send":
            return _Response(404, {"error": "not found"})
        token = self._config.token
        headers = {k.lower(): v for k, v in request.headers}
        if token and headers.get(b"authorization") != f"Bearer {token}".encode():
            return _Response(401, {"error": "bad token"})
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _Response(400, {"error": "bad JSON"})
        if not isinstance(doc, dict):
            return _Response(400, {"error": "bad JSON"})
        phone, text = str(doc.get("phone") or ""), str(doc.get("text") or "")
        if not (phone.isascii() and phone.isdigit()) or not text or len(text) > MAX_TEXT:
            return _Response(400, {"error": "phone and text (up to 1000 characters) required"})
        if bool(doc.get("button_caption")) != bool(doc.get("button_url")):
            return _Response(400, {"error": "button caption and URL go together"})
        outcome = outcome_for(phone)
        if outcome.refuse:
            return _Response(400, {"error": "invalid phone"})
        if outcome.throttle_first and phone not in self._throttled:
            self._throttled.add(phone)
            return _Response(429, {"error": "throttled"}, [("retry-after", "0")])
        message_id = f"vb-{next(self._ids)}"
        self.received.append({**doc, "message_id": message_id})
        callback = doc.get("callback_url")
        if outcome.statuses and isinstance(callback, str) and callback:
            task = asyncio.create_task(self._callbacks(callback, message_id, outcome))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return _Response(200, {"message_id": message_id})

    async def _callbacks(self, url: str, message_id: str, outcome: ViberOutcome) -> None:
        assert self._http is not None
        for status in outcome.statuses:
            if self._config.callback_delay > 0:
                await asyncio.sleep(self._config.callback_delay)
            body = {
                "message_id": message_id,
                "status": status,
                "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
            if outcome.reason and status != "delivered":
                body["reason"] = outcome.reason
            raw = json.dumps(body).encode()
            headers = {"content-type": "application/json"}
            if self._config.token:
                headers[SIGNATURE_HEADER] = sign(self._config.token, raw)
            try:
                await self._http.post(url, content=raw, headers=headers)
            except httpx.HTTPError as exc:
                log.warning("viber_callback_failed", error=type(exc).__name__)


async def _next(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await reader.read(65536))


async def _respond(conn: h11.Connection, writer: asyncio.StreamWriter, response: _Response) -> None:
    payload = json.dumps(response.body).encode()
    headers = [
        ("content-type", "application/json"),
        ("content-length", str(len(payload))),
        *response.headers,
    ]
    writer.write(conn.send(h11.Response(status_code=response.status, headers=headers)))
    writer.write(conn.send(h11.Data(data=payload)))
    writer.write(conn.send(h11.EndOfMessage()))
    await writer.drain()
