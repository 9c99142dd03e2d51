"""Messages: what a client asks to send, and what the engine delivers.

One *message* is one recipient (one ``id_sms``); it has one or more *parts* on the wire.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from .errors import RecipientError
from .money import Money

__all__ = [
    "VCARD_FIELDS",
    "Channel",
    "MessageKind",
    "NewMessage",
    "OutboundMessage",
    "check_phone",
    "is_ascii_digits",
    "normalize_phone",
]


class Channel(enum.StrEnum):
    SMS = "sms"
    VIBER = "viber"


class MessageKind(enum.StrEnum):
    SMS = "sms"
    FLASH = "flashsms"
    SILENCE = "silence"
    WAPPUSH = "wappush"
    VCARD = "vcard"


#: ``NewMessage.extra`` keys of a vCard besides its ``name`` (XML X1 names; an element's
#: attribute as ``element_attribute``). A vCard needs ``name`` and at least one of these (§1.9 #14).
VCARD_FIELDS: tuple[str, ...] = (
    "phone_cell",
    "phone_work",
    "phone_fax",
    "email",
    "position",
    "organization",
    "address_post_office_box",
    "address_street",
    "address_city",
    "address_region",
    "address_postal_code",
    "address_country",
    "additional",
    "url",
)

_PHONE_JUNK = re.compile(r"[\s+()\-.]")


def normalize_phone(raw: object) -> str:
    """International format without ``+`` (spec §1.10): strip spaces, ``+``, dashes, brackets."""
    if raw is None:
        return ""
    return _PHONE_JUNK.sub("", str(raw))


def is_ascii_digits(text: str) -> bool:
    """Only ``0``-``9`` (``str.isdigit`` and ``int`` also take fullwidth, superscript and other
    scripts' digits, which no carrier routes)."""
    return text.isascii() and text.isdigit()


def check_phone(phone: str) -> RecipientError | None:
    """Per-recipient error for a normalized phone number, or ``None``."""
    if phone == "":
        return RecipientError.NO_PHONE
    if len(phone) >= 15:  # "Phone number must be less than 15 characters" (§1.9 #11)
        return RecipientError.PHONE_TOO_LONG
    if not is_ascii_digits(phone) or len(phone) < 5:
        return RecipientError.NO_PHONE
    return None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """One recipient of a send request, validated and counted, waiting for the money decision."""

    account_id: int
    phone: str
    sender: str
    text: str
    parts: int
    channel: Channel = Channel.SMS
    kind: MessageKind = MessageKind.SMS
    client_id_sms: str | None = None
    time_send: datetime | None = None  # UTC; None = now
    valid_until: datetime | None = None  # UTC; None = platform maximum
    extra: dict[str, str] = field(default_factory=dict)  # kind-specific fields (url, vcard...)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message claimed by the delivery engine."""

    id: int
    account_id: int
    phone: str
    sender: str
    text: str
    parts: int
    channel: Channel
    kind: MessageKind
    valid_until: datetime
    attempts: int = 0
    price: Money = Money(0)
    extra: dict[str, str] = field(default_factory=dict)
    # when it became due (acceptance, unless scheduled): for the accept->submit metric only,
    # so it takes no part in equality
    due_at: datetime | None = field(default=None, compare=False)
