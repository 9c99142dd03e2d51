"""What the delivery engine needs from a carrier connector (SMPP, Viber HTTP...).

The engine speaks in parts and outcomes; only the connector knows the wire (SMPP statuses,
data_coding, UDH/SAR concatenation, receipt text formats).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..domain.messages import MessageKind
from ..domain.status import PartState
from ..text import Encoding

__all__ = [
    "Connector",
    "InboundSms",
    "OutboundPart",
    "Receipt",
    "SubmitOutcome",
    "SubmitStatus",
]


@dataclass(frozen=True, slots=True)
class OutboundPart:
    message_id: int
    part_no: int  # 1-based
    total_parts: int
    ref: int  # concatenation reference (0..65535), same for every part of one message
    source: str  # sender name or number
    destination: str  # international digits, no '+'
    encoding: Encoding
    payload: bytes  # this part's encoded text, WITHOUT any UDH (GSM7: one septet per byte)
    kind: MessageKind = MessageKind.SMS
    valid_until: datetime | None = None  # UTC
    want_receipt: bool = True
    port_udh: bytes | None = None  # application-port UDH elements (WAP push / vCard), if any


class SubmitStatus(enum.Enum):
    ACCEPTED = "accepted"  # carrier took it; carrier_id set
    REJECTED = "rejected"  # permanent refusal for this part
    RETRY = "retry"  # temporary: link down, timeout, throttling beyond the connector's patience


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    status: SubmitStatus
    carrier_id: str | None = None
    detail: str = ""  # e.g. "ESME_RINVDSTADR (0x0000000B)"; for logs and history only


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt for one part."""

    connector: str
    carrier_ids: tuple[str, ...]  # the id as received, then alternative spellings (hex/decimal)
    state: PartState  # never PENDING; intermediate receipts (ENROUTE, ACCEPTD) are not reported
    at: datetime  # UTC, when the connector received it
    error: str = ""
    # acknowledge it to the carrier once it is stored (deliver_sm_resp after the commit, so a
    # crash before the commit makes the carrier send it again); None = already acknowledged
    ack: Callable[[], None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class InboundSms:
    """A mobile-originated message (deliver_sm that is not a receipt)."""

    connector: str
    source: str
    destination: str
    text: str
    at: datetime


ReceiptSink = Callable[[Receipt], None]
InboundSink = Callable[[InboundSms], None]


class Connector(Protocol):
    """One carrier link. ``submit`` waits for window space; it never raises for carrier trouble."""

    name: str

    @property
    def ready(self) -> bool:
        """Bound and able to submit now."""
        ...

    async def start(self) -> None: ...

    async def submit(self, part: OutboundPart) -> SubmitOutcome: ...

    async def stop(self) -> None:
        """Stop taking parts, wait for in-flight responses (bounded), unbind, close."""
        ...
