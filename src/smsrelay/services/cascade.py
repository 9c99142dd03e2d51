"""Viber and the Viber->SMS cascade: acceptance rules, the cascade's table, and its ports.

A Viber message is one ``messages`` row (one ``id_sms``) whose *current leg* is Viber. When the
Viber leg fails (or outlives ``validity_period_viber``) and the client asked for
``type_send_2=sms``, the same row becomes an SMS leg: channel ``sms``, the SMS sender/text,
status ``queued``, charged at the SMS price of that moment. The Viber leg keeps its own status
(``viber_legs``), so a client sees one id with per-channel statuses (X2 ``sms=""`` /
``viber=""``) and one overall status: the outcome of the last leg.

Spec: J1 (inferred Viber keys), X1 (``type_send_1/2``, ``*_viber``, ``validity_period_viber``),
G2/G3, §1.6 (Viber's maximum lifetime is one day), §1.7 (``read``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Protocol

from .. import text as textcodec
from ..domain.errors import RecipientError
from ..domain.messages import Channel
from ..domain.senders import check_sender_format
from ..domain.status import MessageStatus
from .commands import SendItem
from .ports import StatusChange

__all__ = [
    "EXTRA_FALLBACK",
    "EXTRA_SMS_PARTS",
    "EXTRA_SMS_SENDER",
    "EXTRA_SMS_TEXT",
    "EXTRA_VIBER_UNTIL",
    "FALLBACK_FROM",
    "FALLBACK_ON",
    "LEG_STATUS",
    "MAX_VIBER_TEXT",
    "VIBER_MAX_LIFETIME",
    "CallbackVerdict",
    "ChannelState",
    "ChannelStateSource",
    "SendVerdict",
    "ViberApplied",
    "ViberCallbacks",
    "ViberLegStore",
    "ViberSendRecord",
    "ViberState",
    "ViberStatusRecord",
    "check_viber_item",
    "viber_leg_fields",
]

#: §1.6: "Viber's maximum lifetime is one day".
VIBER_MAX_LIFETIME: Final = timedelta(days=1)
#: Viber's own limit on a message text (characters); longer texts are refused at acceptance.
MAX_VIBER_TEXT: Final = 1000

# Keys the cascade keeps in the message's ``extra`` (persisted as JSON with the row).
EXTRA_FALLBACK: Final = "type_send_2"
EXTRA_SMS_SENDER: Final = "sms_sender"
EXTRA_SMS_TEXT: Final = "sms_text"
EXTRA_SMS_PARTS: Final = "sms_parts"
EXTRA_VIBER_UNTIL: Final = "viber_until"  # ISO 8601, UTC


class ViberState(enum.StrEnum):
    """What a Viber provider reports of a message it took."""

    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"


S = MessageStatus

#: Provider report -> the Viber leg's status.
LEG_STATUS: Final[Mapping[ViberState, MessageStatus]] = {
    ViberState.DELIVERED: S.DELIVERED,
    ViberState.READ: S.READ,
    ViberState.UNDELIVERED: S.UNDELIVERED,
    ViberState.EXPIRED: S.EXPIRED,
}

#: The cascade's table: a Viber leg ending in one of these starts the SMS leg (if asked for)...
FALLBACK_ON: Final = frozenset({S.UNDELIVERED, S.EXPIRED, S.REJECTED})
#: ...provided the message is still on its Viber leg in one of these statuses.
FALLBACK_FROM: Final = frozenset({S.SUBMITTING, S.SUBMITTED})


class SendVerdict(enum.Enum):
    ACCEPTED = "accepted"  # the provider took it: provider_id set
    REFUSED = "refused"  # permanent refusal: the Viber leg is refunded
    RETRY = "retry"  # temporary trouble: back to the queue at retry_at
    LATE = "late"  # claimed after its Viber deadline: never sent, refunded


@dataclass(frozen=True, slots=True)
class ViberSendRecord:
    message_id: int
    connector: str
    verdict: SendVerdict
    provider_id: str | None = None
    retry_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ViberStatusRecord:
    connector: str
    provider_id: str
    state: ViberState
    at: datetime  # UTC


@dataclass(frozen=True, slots=True)
class ViberApplied:
    changes: list[StatusChange] = field(default_factory=list)
    unmatched: list[ViberStatusRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ChannelState:
    """Per-channel status of one message; ``None`` for a channel it has not used (yet)."""

    message_id: int
    sms: MessageStatus | None = None
    sms_at: datetime | None = None  # UTC, last final change of the SMS leg
    viber: MessageStatus | None = None
    viber_at: datetime | None = None  # UTC, last change of the Viber leg


class ChannelStateSource(Protocol):
    async def channel_states(self, message_ids: Sequence[int]) -> dict[int, ChannelState]: ...


class ViberLegStore(Protocol):
    """What the Viber dispatcher needs from storage (``store.viber.SqlViberStore``)."""

    async def has_work(self, now: datetime) -> bool:
        """Whether a Viber message is due for a claim (a read: idle polls write nothing)."""
        ...

    async def record_sends(
        self, records: Sequence[ViberSendRecord], now: datetime
    ) -> list[StatusChange]: ...

    async def apply_statuses(self, records: Sequence[ViberStatusRecord]) -> ViberApplied: ...

    async def expire_legs(self, now: datetime, limit: int) -> list[StatusChange]:
        """Viber legs past their deadline without a final report: the leg is ``expired``;
        a cascade starts its SMS leg, otherwise the message expires."""
        ...


class CallbackVerdict(enum.Enum):
    ACCEPTED = "accepted"
    UNKNOWN_CONNECTOR = "unknown_connector"
    BAD_SIGNATURE = "bad_signature"
    BAD_BODY = "bad_body"
    UNAVAILABLE = "unavailable"  # could not be stored now: the provider should call again


class ViberCallbacks(Protocol):
    """Where the HTTP API hands a provider's status callback (raw; the connector parses).
    Answers once the statuses are durably applied, so a provider retries what was lost."""

    async def callback(
        self, connector: str, body: bytes, headers: Mapping[str, str]
    ) -> CallbackVerdict: ...


# --- acceptance ------------------------------------------------------------------------------


def check_viber_item(item: SendItem, max_parts: int) -> RecipientError | None:
    """Errors of a Viber item's own fields (the sender and text are checked by the caller).

    * a button needs both caption and URL: caption alone -> §1.9 #13 (no link), URL alone ->
      §1.9 #12 (no text); image and button URLs must be http(s) -> #13;
    * a Viber text longer than :data:`MAX_VIBER_TEXT` -> our ``TOO_MANY_PARTS``;
    * a cascade (``type_send_2=sms``) needs a valid SMS sender and text: its leg is checked now.
    """
    caption = (item.extra.get("button_viber") or "").strip()
    action = (item.extra.get("action_viber") or "").strip()
    if caption and not action:
        return RecipientError.NO_LINK
    if action and not caption:
        return RecipientError.NO_TEXT
    for url in (action, (item.extra.get("image_viber") or "").strip()):
        if url and not url.lower().startswith(("http://", "https://")):
            return RecipientError.NO_LINK
    body = item.extra.get("text_viber") or item.text or ""
    if len(body) > MAX_VIBER_TEXT:
        return RecipientError.TOO_MANY_PARTS
    if item.fallback is Channel.SMS:
        sender_error = check_sender_format(item.sender)
        if sender_error is not None:
            return sender_error
        if item.text is None or item.text.strip() == "":
            return RecipientError.NO_TEXT
        if textcodec.count_parts(item.text) > max_parts:
            return RecipientError.TOO_MANY_PARTS
    return None


def viber_leg_fields(
    item: SendItem,
    due: datetime,
    valid_until: datetime,
    validity_period_viber: datetime | None,
) -> tuple[datetime, dict[str, str]]:
    """The message's ``valid_until`` and ``extra`` for a Viber item.

    The Viber leg lives until ``validity_period_viber`` (default and maximum: one day from when
    it is due, §1.6), never beyond ``validity_period``. Without a cascade that is the message's
    whole life; with one, the message keeps ``validity_period`` for its SMS leg.
    """
    viber_until = min(validity_period_viber or due + VIBER_MAX_LIFETIME, due + VIBER_MAX_LIFETIME)
    viber_until = min(viber_until, valid_until)
    extra = dict(item.extra)
    extra[EXTRA_VIBER_UNTIL] = viber_until.isoformat()
    if item.fallback is not Channel.SMS:
        return viber_until, extra
    text = item.text or ""
    extra[EXTRA_FALLBACK] = Channel.SMS.value
    extra[EXTRA_SMS_SENDER] = item.sender or ""
    extra[EXTRA_SMS_TEXT] = text
    extra[EXTRA_SMS_PARTS] = str(textcodec.count_parts(text))
    return valid_until, extra
