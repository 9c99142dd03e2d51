"""The incoming-SMS webhook's wire format: X7's shape for each pushed MO (sans-I/O).

    JSON  [{"id_sms":1234,"date_receive":"2012-01-31 12:55:55","originator":"79612242243",
            "prefix":"IGRA","phone":"79611111111","text":"Message."}, ...]
    XML   <?xml version="1.0" encoding="utf-8"?>
          <response><sms id_sms="1234" date_receive="2012-01-31 12:55:55"
          originator="79612242243" prefix="IGRA" phone="79611111111">Message.</sms></response>

Times are the account's local time (§1.6). Acknowledgements are the status webhook's
(``[{"id_sms":1234}]`` or ``<response><id_sms>1234</id_sms></response>``).
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from ..services.incoming_webhooks import IncomingPushItem
from ..services.webhooks import PushBatch, WebhookFormat
from .webhook_payload import JSON_CONTENT_TYPE, XML_CONTENT_TYPE, local_time

__all__ = ["render_incoming_push"]


def _fields(item: IncomingPushItem, tz: int) -> dict[str, object]:
    return {
        "id_sms": item.message_id,
        "date_receive": local_time(item.at, tz),
        "originator": item.originator,
        "prefix": item.prefix,
        "phone": item.phone,
    }


def render_incoming_push(batch: PushBatch) -> tuple[bytes, str]:
    items = [i for i in batch.items if isinstance(i, IncomingPushItem)]
    tz = batch.tz_offset_hours
    if batch.config.format is WebhookFormat.XML:
        sms = "".join(
            "<sms"
            + "".join(f" {k}={quoteattr(str(v))}" for k, v in _fields(i, tz).items())
            + f">{escape(i.text)}</sms>"
            for i in items
        )
        body = f'<?xml version="1.0" encoding="utf-8"?>\n<response>{sms}</response>'
        return body.encode(), XML_CONTENT_TYPE
    rows = [{**_fields(i, tz), "text": i.text} for i in items]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode(), JSON_CONTENT_TYPE
