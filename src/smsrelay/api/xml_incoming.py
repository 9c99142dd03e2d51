"""X7: incoming SMS — ``POST /xml/incoming.php`` (spec §4 X7).

Request: ``<time start="YYYY-MM-DD HH:MM:SS" end="…"/>`` besides ``<security>``; both bounds
are exclusive, ``end`` optional, both in the account's local time (§1.6). Answer::

    <response>
      <sms id_sms="1234" date_receive="2012-01-31 12:55:55" originator="79612242243"
           prefix="IGRA" phone="79611111111">Message.</sms>
    </response>

Choices where the spec is silent (see docs/compatibility.md): a missing ``<time>`` or ``start``
or an unreadable date is "incorrect XML document format" in the account's language; a locked
account may still read its incoming messages (it is a read, like the status pages); ``prefix``
is ``""`` for a dedicated number; at most :data:`MAX_INCOMING_ROWS` messages, oldest first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from xml.etree.ElementTree import Element

from starlette.routing import BaseRoute, Route

from ..domain.errors import DocumentErrorCode, ValidationError
from ..services.facade import Platform
from ..services.inbound import MAX_INCOMING_ROWS, IncomingView
from .errors import DocumentRefusal
from .timefmt import format_wire_datetime, parse_wire_datetime
from .xml_core import XmlEndpoints, attr, credentials_of, element

__all__ = ["MAX_INCOMING_ROWS", "IncomingReader", "parse_window", "render_incoming", "routes"]

PATH = "/xml/incoming.php"

#: what the endpoint needs from the incoming-SMS service
IncomingReader = Callable[..., Awaitable[list[IncomingView]]]


def parse_window(root: Element) -> tuple[datetime, datetime | None]:
    """``(start, end)`` naive local times from ``<time start end/>``; ValidationError else."""
    el = root.find("time")
    if el is None:
        raise ValidationError("no <time> element")
    start = parse_wire_datetime(attr(el, "start") or "")
    if start is None:
        raise ValidationError("time.start is required")
    end = parse_wire_datetime(attr(el, "end") or "")
    return start, end


def render_incoming(views: Iterable[IncomingView]) -> list[str]:
    return [
        element(
            "sms",
            {
                "id_sms": v.id_sms,
                "date_receive": format_wire_datetime(v.date_receive),
                "originator": v.originator,
                "prefix": v.prefix,
                "phone": v.phone,
            },
            v.text,
        )
        for v in views
    ]


def routes(xml: XmlEndpoints, platform: Platform, incoming: IncomingReader) -> list[BaseRoute]:
    """The X7 route; ``incoming(account, start, end)`` is ``InboundService.incoming``."""

    async def operation(root: Element) -> list[str]:
        account = await platform.authenticate(credentials_of(root))
        try:
            start, end = parse_window(root)
        except ValidationError as exc:
            raise DocumentRefusal(DocumentErrorCode.BAD_FORMAT, account.lang) from exc
        return render_incoming(await incoming(account, start, end))

    return [Route(PATH, xml.wrap(PATH, operation), methods=["GET", "POST"])]
