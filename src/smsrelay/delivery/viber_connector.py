"""The Viber provider adapter: one generic JSON-over-HTTP API (``docs/viber.md``), via httpx.

Wire (all JSON, UTF-8)::

    POST {base}/send   Authorization: Bearer <token>
        {"id": "<our id_sms>", "phone": "7900…", "sender": "Shop", "text": "…",
         "image_url": null, "button_caption": null, "button_url": null,
         "ttl_seconds": 86400, "callback_url": "http://…/viber/callback/viber"}
      200 {"message_id": "<provider id>"}      accepted
      429 (Retry-After: s)                      throttled: retried here, then "retry"
      other 4xx {"error": "…"}                  refused for good
      5xx, timeouts, connection errors          "retry" later

    callback: POST {callback_url}   X-Signature: sha256=<hex HMAC-SHA256(token, body)>
        {"message_id": "…", "status": "delivered|read|undelivered|expired",
         "time": "2026-11-22T01:02:03Z"}          (or a JSON array of such objects)

The encoding/decoding functions are pure; :class:`HttpViberProvider` only moves bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import httpx

from ..domain.messages import OutboundMessage
from ..services.cascade import SendVerdict, ViberState, ViberStatusRecord

__all__ = [
    "MAX_CALLBACK_BYTES",
    "MAX_CALLBACK_STATUSES",
    "CallbackRejected",
    "HttpViberConfig",
    "HttpViberProvider",
    "ViberMessage",
    "ViberProvider",
    "ViberSendResult",
    "decode_callback",
    "decode_send_response",
    "encode_send",
    "sign",
    "verify",
]

MAX_CALLBACK_BYTES: Final = 256 * 1024
MAX_CALLBACK_STATUSES: Final = 1000
MAX_PROVIDER_ID: Final = 128  # longest provider message id we store
MAX_RETRY_AFTER: Final = 5.0  # seconds we wait inside one send when throttled
SIGNATURE_HEADER: Final = "x-signature"


@dataclass(frozen=True, slots=True)
class ViberMessage:
    """One Viber message as the provider receives it."""

    id: str
    phone: str
    sender: str
    text: str
    ttl_seconds: int
    image_url: str | None = None
    button_caption: str | None = None
    button_url: str | None = None
    callback_url: str | None = None

    @classmethod
    def of(
        cls, message: OutboundMessage, now: datetime, callback_url: str | None, until: datetime
    ) -> ViberMessage:
        extra = message.extra
        return cls(
            id=str(message.id),
            phone=message.phone,
            sender=message.sender,
            text=message.text,
            ttl_seconds=max(1, int((until - now).total_seconds())),
            image_url=extra.get("image_viber") or None,
            button_caption=extra.get("button_viber") or None,
            button_url=extra.get("action_viber") or None,
            callback_url=callback_url,
        )


@dataclass(frozen=True, slots=True)
class ViberSendResult:
    verdict: SendVerdict  # ACCEPTED, REFUSED or RETRY
    provider_id: str | None = None
    detail: str = ""
    retry_after: float | None = None  # seconds, when the provider said so


class CallbackRejected(ValueError):
    """A callback body we refuse: bad signature or malformed (``.signature`` tells which)."""

    def __init__(self, why: str, *, signature: bool = False) -> None:
        super().__init__(why)
        self.signature = signature


class ViberProvider(Protocol):
    name: str

    async def start(self) -> None: ...
    async def send(self, message: ViberMessage) -> ViberSendResult:
        """Never raises for provider trouble: answers ``RETRY`` or ``REFUSED``."""
        ...

    def parse_callback(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[ViberStatusRecord]:
        """Raises :class:`CallbackRejected`."""
        ...

    async def stop(self) -> None: ...


# --- pure wire functions ---------------------------------------------------------------------


def encode_send(message: ViberMessage) -> bytes:
    body = {
        "id": message.id,
        "phone": message.phone,
        "sender": message.sender,
        "text": message.text,
        "image_url": message.image_url,
        "button_caption": message.button_caption,
        "button_url": message.button_url,
        "ttl_seconds": message.ttl_seconds,
        "callback_url": message.callback_url,
    }
    return json.dumps(body, ensure_ascii=False).encode()


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def decode_send_response(
    status: int, body: bytes, headers: Mapping[str, str] | None = None
) -> ViberSendResult:
    doc = _json(body)
    if status == 200:
        pid = doc.get("message_id") if isinstance(doc, dict) else None
        if isinstance(pid, int | str) and 0 < len(str(pid)) <= MAX_PROVIDER_ID:
            return ViberSendResult(SendVerdict.ACCEPTED, provider_id=str(pid))
        return ViberSendResult(SendVerdict.RETRY, detail="200 without a message_id")
    error = doc.get("error") if isinstance(doc, dict) else None
    detail = f"HTTP {status}" + (f": {str(error)[:200]}" if error else "")
    if status == 429:
        raw = (headers or {}).get("retry-after", "").strip()
        # delta-seconds only (RFC 9110 §10.2.3): ASCII digits and one dot; float() alone takes
        # "nan", "inf" and other scripts' digits
        if raw and raw.isascii() and raw.replace(".", "", 1).isdigit() and len(raw) <= 16:
            after = min(float(raw), MAX_RETRY_AFTER)
        else:
            after = 1.0
        return ViberSendResult(SendVerdict.RETRY, detail=detail, retry_after=after)
    if 400 <= status < 500 and status not in (401, 403, 408):
        return ViberSendResult(SendVerdict.REFUSED, detail=detail)
    return ViberSendResult(SendVerdict.RETRY, detail=detail)  # 5xx, our credentials, timeouts


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    return signature is not None and hmac.compare_digest(sign(secret, body), signature.strip())


def _instant(raw: Any, now: datetime) -> datetime:
    if not isinstance(raw, str) or not raw:
        return now
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CallbackRejected(f"bad time {raw[:40]!r}") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def decode_callback(connector: str, body: bytes, now: datetime) -> list[ViberStatusRecord]:
    """One status object or an array of them -> records (raises :class:`CallbackRejected`)."""
    if len(body) > MAX_CALLBACK_BYTES:
        raise CallbackRejected("callback body too large")
    doc = _json(body)
    items = doc if isinstance(doc, list) else [doc]
    if not items or len(items) > MAX_CALLBACK_STATUSES:
        raise CallbackRejected("expected 1..1000 status objects")
    out: list[ViberStatusRecord] = []
    for item in items:
        if not isinstance(item, dict):
            raise CallbackRejected("a status must be an object")
        pid, status = item.get("message_id"), item.get("status")
        if not isinstance(pid, int | str) or not 0 < len(str(pid)) <= MAX_PROVIDER_ID:
            raise CallbackRejected("bad message_id")
        try:
            state = ViberState(str(status))
        except ValueError as exc:
            raise CallbackRejected(f"unknown status {str(status)[:40]!r}") from exc
        out.append(ViberStatusRecord(connector, str(pid), state, _instant(item.get("time"), now)))
    return out


# --- the HTTP adapter ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpViberConfig:
    name: str = "viber"
    token: str = ""  # bearer token for sends; HMAC key of callbacks
    callback_url: str | None = None
    timeout: float = 10.0
    max_throttle_retries: int = 3


class HttpViberProvider:
    """:class:`ViberProvider` over HTTP. ``base_url`` may be a callable: the built-in
    simulator's port is known only once it listens."""

    def __init__(self, config: HttpViberConfig, base_url: str | Callable[[], str]) -> None:
        self.name = config.name
        self._config = config
        self._base_url = base_url
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._config.timeout)

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def send(self, message: ViberMessage) -> ViberSendResult:
        if self._http is None:
            return ViberSendResult(SendVerdict.RETRY, detail="provider not started")
        base = self._base_url() if callable(self._base_url) else self._base_url
        body = encode_send(message)
        headers = {"content-type": "application/json"}
        if self._config.token:
            headers["authorization"] = f"Bearer {self._config.token}"
        result = ViberSendResult(SendVerdict.RETRY)
        for _ in range(1 + self._config.max_throttle_retries):
            try:
                response = await self._http.post(f"{base}/send", content=body, headers=headers)
            except httpx.HTTPError as exc:
                return ViberSendResult(SendVerdict.RETRY, detail=type(exc).__name__)
            result = decode_send_response(response.status_code, response.content, response.headers)
            if result.retry_after is None:
                return result
            await asyncio.sleep(result.retry_after)  # throttled: the provider said how long
        return result

    def parse_callback(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[ViberStatusRecord]:
        if self._config.token and not verify(
            self._config.token, body, headers.get(SIGNATURE_HEADER)
        ):
            raise CallbackRejected("bad signature", signature=True)
        return decode_callback(self.name, body, now)
