"""The status webhook's wire format (spec J3, X3): push bodies, signatures, acknowledgements.

Sans-I/O: bytes in, bytes out. Push bodies::

    J3  [{"id_sms":3234,"time":"2011-01-01 12:57:46","state":"deliver"}, ...]
    X3  <?xml version="1.0" encoding="utf-8"?>
        <response><state id_sms="3234" time="2011-01-01 12:57:46" sms="deliver">deliver</state>
        </response>        (root ``request`` on request: [WL] style, no sms/viber attributes)

Times are the account's local time (Moscow + its offset, spec §1.6). Client acknowledgements::

    J3  [{"id_sms":3234},{"id_sms":"3235"}]          (ids as numbers or strings)
    X3  <response><id_sms>3234</id_sms>...</response>

An answer in the other format is accepted too. XML answers are parsed with the standard
library but refused if they carry a DTD (so no entity expansion, no external entities).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from xml.etree.ElementTree import Element, ParseError, fromstring
from xml.sax.saxutils import escape, quoteattr

from ..domain.messages import Channel
from ..domain.status import wire_word
from ..services.localtime import MOSCOW_UTC_OFFSET_HOURS
from ..services.webhooks import PushBatch, PushItem, WebhookFormat, XmlRoot

__all__ = [
    "JSON_CONTENT_TYPE",
    "MAX_ACK_BYTES",
    "XML_CONTENT_TYPE",
    "parse_acks",
    "render_push",
    "signature",
]

JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"
XML_CONTENT_TYPE: Final = "text/xml; charset=utf-8"
#: Longest acknowledgement read from a client; the rest is ignored (bounded input).
MAX_ACK_BYTES: Final = 1024 * 1024
_MAX_ID: Final = 2**63 - 1


def local_time(at: datetime | None, tz_offset_hours: int) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in the account's local time; ``""`` when unknown (§1.6)."""
    if at is None:
        return ""
    shown = at.astimezone(UTC) + timedelta(hours=MOSCOW_UTC_OFFSET_HOURS + tz_offset_hours)
    return shown.strftime("%Y-%m-%d %H:%M:%S")


def _json_body(batch: PushBatch) -> bytes:
    rows = [
        {
            "id_sms": i.message_id,
            "time": local_time(i.at, batch.tz_offset_hours),
            "state": wire_word(i.status),
        }
        for i in batch.items
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()


def _state_element(item: PushItem, tz_offset_hours: int, channels: bool) -> str:
    word = wire_word(item.status)
    attrs = [("id_sms", str(item.message_id)), ("time", local_time(item.at, tz_offset_hours))]
    if channels:
        attrs.append(("viber" if item.channel is Channel.VIBER else "sms", word))
    rendered = "".join(f" {k}={quoteattr(v)}" for k, v in attrs)
    return f"<state{rendered}>{escape(word)}</state>"


def _xml_body(batch: PushBatch) -> bytes:
    root = batch.config.xml_root.value
    channels = batch.config.xml_root is XmlRoot.RESPONSE  # [WL] `request` pushes carry none
    states = "".join(_state_element(i, batch.tz_offset_hours, channels) for i in batch.items)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>{states}</{root}>'.encode()


def render_push(batch: PushBatch) -> tuple[bytes, str]:
    """The POST body of a batch and its Content-Type."""
    if batch.config.format is WebhookFormat.XML:
        return _xml_body(batch), XML_CONTENT_TYPE
    return _json_body(batch), JSON_CONTENT_TYPE


def signature(secret: str, body: bytes) -> str:
    """``X-Smsrelay-Signature`` value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= _MAX_ID else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 19:
            number = int(text)
            return number if 0 < number <= _MAX_ID else None
    return None


def _json_acks(body: bytes) -> set[int]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return set()
    entries: Iterable[Any] = data if isinstance(data, list) else [data]
    found: set[int] = set()
    for entry in entries:
        value = entry.get("id_sms") if isinstance(entry, dict) else entry
        number = _as_id(value)
        if number is not None:
            found.add(number)
    return found


def _xml_acks(body: bytes) -> set[int]:
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        return set()
    try:
        root: Element = fromstring(body)
    except (ParseError, ValueError, UnicodeError):
        return set()
    found: set[int] = set()
    for el in root.iter("id_sms"):
        number = _as_id(el.text or "")
        if number is not None:
            found.add(number)
    return found


def parse_acks(body: bytes, format: WebhookFormat) -> set[int]:
    """The message ids a client acknowledged (answer in either format; junk acks nothing)."""
    body = body[:MAX_ACK_BYTES].strip()
    if not body:
        return set()
    if body.startswith(b"<"):
        return _xml_acks(body)
    if body[:1] in (b"[", b"{"):
        return _json_acks(body)
    return _xml_acks(body) if format is WebhookFormat.XML else _json_acks(body)
