"""The JSON dialect (spec §2): raw body -> command, results -> body. Pure: no HTTP, no I/O.

Parsing is lenient where clients in the wild are sloppy and strict where a guess could send a
wrong message:

* the body is parsed as JSON whatever the Content-Type (§1.3); a UTF-8 BOM is ignored;
* a bare object or a one-element array of it is accepted for every request (J2's example is an
  array, §8.6);
* numbers and strings are interchangeable for ``phone``, ``client_id_sms``, ``id_sms``,
  ``detail`` and credentials (§1.5);
* ``token`` wins over ``login``+``password`` when both are given (§1.2); empty strings count as
  absent (the docs' example carries all three).

Anything else malformed - wrong shapes, floats, unknown channel or kind, an unparseable date (no
§1.9 literal exists for it) - refuses the whole document with ``DocumentError(BAD_FORMAT)``;
a blank body is ``DocumentError(NO_POST_DATA)``; missing credentials are
``DocumentError(BAD_CREDENTIALS)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

import orjson

from ..domain.accounts import Lang
from ..domain.errors import DocumentError, DocumentErrorCode, RecipientError, ValidationError
from ..domain.messages import Channel, MessageKind
from ..domain.money import MICROS, Money
from ..domain.status import wire_word
from ..services.commands import (
    BalanceView,
    Credentials,
    SendCommand,
    SendItem,
    SendRecipient,
    SendResult,
    StateView,
)
from .literals import UNKNOWN_ID_STATE, UNLIMITED, Dialect, recipient_error
from .timefmt import format_wire_time, parse_wire_datetime

__all__ = [
    "MAX_CREDENTIAL_CHARS",
    "MAX_ID_SMS",
    "StateRequest",
    "format_price",
    "load_document",
    "parse_balance",
    "parse_credentials",
    "parse_send",
    "parse_state",
    "render_balance",
    "render_send",
    "render_states",
]

#: Longest login, password or token looked at (bounds the work of password hashing).
MAX_CREDENTIAL_CHARS: Final = 256
#: ids are stored as signed 64-bit integers (§1.5).
MAX_ID_SMS: Final = 2**63 - 1

_BOM: Final = b"\xef\xbb\xbf"
_BLANK: Final = b" \t\r\n"
_CHANNELS: Final = {"sms": Channel.SMS, "viber": Channel.VIBER}
_KINDS: Final = {
    "sms": MessageKind.SMS,
    "flashsms": MessageKind.FLASH,
    "flash_sms": MessageKind.FLASH,  # the [WL] PHP client's spelling (§8.21)
    "silence": MessageKind.SILENCE,
    "wappush": MessageKind.WAPPUSH,
    "vcard": MessageKind.VCARD,
}
#: Message-level keys borrowed from the XML dialect (§2 J1 [INFERRED]) into ``SendItem.extra``.
_EXTRA_KEYS: Final = (
    "sender_viber",
    "text_viber",
    "button_viber",
    "action_viber",
    "image_viber",
    "url",
    "translite",  # [WL] XML field, accepted here too: Cyrillic sent in Latin letters
    "name_delivery",  # campaign name ([WL]), shown in X15, history and statistics
)


@dataclass(frozen=True, slots=True)
class StateRequest:
    """A parsed J2 request."""

    credentials: Credentials
    ids: tuple[int, ...]
    detail: bool


def _bad_format() -> DocumentError:
    return DocumentError(DocumentErrorCode.BAD_FORMAT)


# --- parsing ------------------------------------------------------------------------------------


def load_document(body: bytes) -> Any:
    """Decode the raw body. Blank -> NO_POST_DATA; not JSON -> BAD_FORMAT."""
    if body.startswith(_BOM):
        body = body[len(_BOM) :]
    if not body.strip(_BLANK):
        raise DocumentError(DocumentErrorCode.NO_POST_DATA)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _bad_format() from exc


def _single_object(doc: Any) -> dict[str, Any]:
    if isinstance(doc, list) and len(doc) == 1:
        doc = doc[0]
    if not isinstance(doc, dict):
        raise _bad_format()
    return doc


def _opt_str(value: Any) -> str | None:
    """A string field that clients may also send as a number; None when absent."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _bad_format()


def _credential(obj: dict[str, Any], key: str) -> str | None:
    value = _opt_str(obj.get(key))
    if not value:
        return None
    if len(value) > MAX_CREDENTIAL_CHARS:
        raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)
    return value


def parse_credentials(obj: dict[str, Any]) -> Credentials:
    """``token`` alone, else ``login`` + ``password`` (§1.2)."""
    token = _credential(obj, "token")
    if token is not None:
        return Credentials(token=token)
    login = _credential(obj, "login")
    password = _credential(obj, "password")
    if login is None or password is None:
        raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)
    return Credentials(login=login, password=password)


def _date(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad_format()
    try:
        return parse_wire_datetime(value)
    except ValidationError as exc:
        raise _bad_format() from exc


def _recipient(raw: Any) -> SendRecipient:
    if not isinstance(raw, dict):  # a bare number or string: just the phone
        return SendRecipient(phone=_opt_str(raw) or "")
    if len(raw) == 1 and "phone" in raw:  # the bulk shape: nothing but the number
        return SendRecipient(phone=_opt_str(raw["phone"]) or "")
    return SendRecipient(
        phone=_opt_str(raw.get("phone")) or "",
        client_id_sms=_opt_str(raw.get("client_id_sms")) or None,
        time_send=_date(raw.get("time_send")),
        validity_period=_date(raw.get("validity_period")),
        validity_period_viber=_date(raw.get("validity_period_viber")),
    )


_T = TypeVar("_T")


def _lookup(table: Mapping[str, _T], value: Any) -> _T | None:
    """A case-insensitive word from ``table``; None when absent or blank."""
    text = _opt_str(value)
    if text is None or not text.strip():
        return None
    try:
        return table[text.strip().lower()]
    except KeyError:
        raise _bad_format() from None


def _item(raw: dict[str, Any], recipients: list[SendRecipient]) -> SendItem:
    extra: dict[str, str] = {}
    for key in _EXTRA_KEYS:
        value = _opt_str(raw.get(key))
        if value is not None:
            extra[key] = value
    channel = _lookup(_CHANNELS, raw.get("type_send_1"))
    kind = _lookup(_KINDS, raw.get("type"))
    return SendItem(
        recipients=recipients,
        sender=_opt_str(raw.get("sender")),
        text=_opt_str(raw.get("text")),
        channel=Channel.SMS if channel is None else channel,
        fallback=_lookup(_CHANNELS, raw.get("type_send_2")),
        kind=MessageKind.SMS if kind is None else kind,
        extra=extra,
    )


def parse_send(body: bytes, max_recipients: int) -> SendCommand:
    """J1 body -> command. More than ``max_recipients`` phones in all refuses the document.

    A message without recipients is dropped (it would produce no answer entry anyway).
    """
    obj = _single_object(load_document(body))
    messages = obj.get("message")
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list):
        raise _bad_format()
    items: list[SendItem] = []
    total = 0
    for raw in messages:
        if not isinstance(raw, dict):
            raise _bad_format()
        phones = raw.get("phones")
        if not isinstance(phones, list):
            raise _bad_format()
        total += len(phones)
        if total > max_recipients:
            raise _bad_format()
        item = _item(raw, [_recipient(p) for p in phones])
        if item.recipients:
            items.append(item)
    return SendCommand(credentials=parse_credentials(obj), items=items)


def _id_sms(value: Any) -> int:
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 19):
            raise _bad_format()
        value = int(text)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID_SMS:
        raise _bad_format()
    return value


def _detail(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        text: str = value.strip() or "0"
        if text not in ("0", "1"):
            raise _bad_format()
        return text == "1"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _bad_format()


def parse_state(body: bytes, max_ids: int) -> StateRequest:
    """J2 body -> request: ``id_sms`` scalar or list, ``detail`` 0/1 (absent = 0)."""
    obj = _single_object(load_document(body))
    raw = obj.get("id_sms")
    if raw is None:
        raise _bad_format()
    raw_ids = raw if isinstance(raw, list) else [raw]
    if len(raw_ids) > max_ids:
        raise _bad_format()
    ids = tuple(_id_sms(value) for value in raw_ids)
    detail = _detail(obj.get("detail"))
    return StateRequest(credentials=parse_credentials(obj), ids=ids, detail=detail)


def parse_balance(body: bytes) -> Credentials:
    """J4 body -> credentials."""
    return parse_credentials(_single_object(load_document(body)))


# --- rendering ----------------------------------------------------------------------------------


def _error_entries(lang: Lang) -> dict[RecipientError, bytes]:
    return {
        error: orjson.dumps({"error": recipient_error(error, Dialect.JSON, lang)})
        for error in RecipientError
    }


_ERROR_ENTRIES: Final = {lang: _error_entries(lang) for lang in Lang}
_STATE_WORDS: Final = {
    word: orjson.dumps(word)
    for word in ("send", "deliver", "read", "not_deliver", "expired", "partly_deliver")
}
_UNKNOWN_STATE: Final = orjson.dumps(UNKNOWN_ID_STATE)


def render_send(results: Sequence[SendResult], lang: Lang) -> bytes:
    """``{"information":[...]}``: one entry per recipient, in order.

    Accepted: ``{"state":"send","id_sms":<number>}``; refused: ``{"error":"<§1.9>"}`` with
    neither ``state`` nor ``id_sms`` (the docs leave the failure shape open, §2 J1).
    """
    errors = _ERROR_ENTRIES[lang]
    entries: list[bytes] = []
    for result in results:
        if result.error is not None:
            entries.append(errors[result.error])
        elif isinstance(result.id_sms, int):
            entries.append(b'{"state":"send","id_sms":%d}' % result.id_sms)
        else:
            raise ValueError("an accepted send result has no id_sms")
    return b'{"information":[' + b",".join(entries) + b"]}"


def format_price(price: Money | None) -> str:
    """A per-part price with exactly 7 decimals, as in the J2 example (``10.6000000``).

    Integer arithmetic only: a Decimal would print ``0E-7`` for zero.
    """
    micros = 0 if price is None else price.micros
    sign = "-" if micros < 0 else ""
    units, frac = divmod(abs(micros), MICROS)
    return f"{sign}{units}.{frac:06d}0"


def render_states(views: Sequence[StateView], detail: bool) -> bytes:
    """J2 answer: a JSON array, one object per requested id, in order.

    ``time_change_state`` is ``""`` while the word is ``send``; an unknown or foreign id has the
    §1.7 unknown-id literal as ``state``. With ``detail``, ``num_parts`` and ``price`` (a JSON
    number with 7 decimals) follow; an unknown id reports ``0`` and ``0.0000000``.
    """
    entries: list[bytes] = []
    for view in views:
        if view.status is None:
            state, time = _UNKNOWN_STATE, ""
        else:
            word = wire_word(view.status)
            state = _STATE_WORDS.get(word) or orjson.dumps(word)
            time = "" if word == "send" else format_wire_time(view.time)
        entry = b'{"id_sms":%d,"time_change_state":%b,"state":%b' % (
            view.id_sms,
            orjson.dumps(time),
            state,
        )
        if detail:
            entry += b',"num_parts":%d,"price":%b' % (view.parts, format_price(view.price).encode())
        entries.append(entry + b"}")
    return b"[" + b",".join(entries) + b"]"


def render_balance(view: BalanceView, lang: Lang) -> bytes:
    """J4 answer; every value a string, ``num_sms`` "Unlim"/"Безлимит" when unlimited."""
    unlimited = UNLIMITED[lang]
    return orjson.dumps(
        {
            "money": view.money.format(),
            "currency": view.currency,
            "information": [
                {
                    "type_sms": area.channel.value,
                    "area": area.area,
                    "num_sms": unlimited if area.count is None else str(area.count),
                }
                for area in view.areas
            ],
        }
    )
