"""Commands the API dialects build from a request, and the results they render.

Dialects (JSON, XML, GET) parse their wire format into these plain objects; the services run
them; the dialect renders the results. Nothing here knows HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..domain.errors import RecipientError
from ..domain.messages import Channel, MessageKind
from ..domain.money import Money
from ..domain.status import MessageStatus

__all__ = [
    "AreaCount",
    "BalanceView",
    "Credentials",
    "SendCommand",
    "SendItem",
    "SendRecipient",
    "SendResult",
    "StateView",
]


@dataclass(frozen=True, slots=True)
class Credentials:
    login: str | None = None
    password: str | None = None
    token: str | None = None


@dataclass(frozen=True, slots=True)
class SendRecipient:
    phone: str  # raw as sent; the service normalizes and validates
    client_id_sms: str | None = None
    time_send: datetime | None = None  # naive, in the account's local time (spec §1.6)
    validity_period: datetime | None = None  # naive, account's local time
    validity_period_viber: datetime | None = None
    number_sms: str | None = None  # XML correlation ordinal, echoed back


@dataclass(frozen=True, slots=True)
class SendItem:
    """One ``message`` element/object: a content sent to its recipients."""

    recipients: list[SendRecipient]
    sender: str | None = None
    text: str | None = None
    channel: Channel = Channel.SMS  # type_send_1
    fallback: Channel | None = None  # type_send_2
    kind: MessageKind = MessageKind.SMS
    extra: dict[str, str] = field(default_factory=dict)  # url, vcard fields, viber fields


@dataclass(frozen=True, slots=True)
class SendCommand:
    credentials: Credentials
    items: list[SendItem]


@dataclass(frozen=True, slots=True)
class SendResult:
    """One per recipient, in request order."""

    id_sms: int | None = None
    parts: int = 0
    price: Money | None = None
    error: RecipientError | None = None
    number_sms: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class StateView:
    id_sms: int
    status: MessageStatus | None  # None: no such message for this account
    time: datetime | None  # naive local time of the last status change; None while "send"
    parts: int = 0
    price: Money | None = None
    # Per-channel statuses (X2/X3 ``sms="…"`` / ``viber="…"``): set for each channel used.
    sms: MessageStatus | None = None
    viber: MessageStatus | None = None


@dataclass(frozen=True, slots=True)
class AreaCount:
    area: str
    channel: Channel
    count: int | None  # None = unlimited


@dataclass(frozen=True, slots=True)
class BalanceView:
    money: Money
    currency: str
    areas: list[AreaCount]
