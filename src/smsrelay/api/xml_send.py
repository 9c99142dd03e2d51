"""The XML dialect's sending endpoints (spec §4): X1 send, X2 status poll, X4 balance.

Parsing and rendering are pure functions of an ``Element`` / of results; :func:`routes` wires
them to the :class:`~smsrelay.services.facade.Platform` through ``XmlEndpoints.wrap`` (safe
parsing, the §1.4 status policy, §1.8 error documents).

* X1 ``POST /xml`` and ``/xml/``: every ``message`` (``type_send_1`` default ``sms``,
  ``type_send_2`` the fallback channel, ``type`` the SMS kind, ``flash_sms`` = ``flashsms``)
  and its ``abonent`` children become one ``SendItem`` each; kind-specific children go to
  ``SendItem.extra`` under their XML names (an attribute as ``element_attribute``: ``phone_cell``,
  ``address_city``). One ``information`` per ``abonent``, in order.
* X2 ``POST /xml/state.php``: ``<get_state><id_sms>N</id_sms>…</get_state>``, or raw ids
  (whitespace/comma separated) directly inside ``<get_state>``.
* X4 ``POST /xml/balance.php``: ``<money currency=…>`` first, then one ``<sms area=…>`` per
  area (Viber areas with ``type_sms="viber"``).

A locked account: X1 answers every recipient with §1.9 row 3 (decided by the storing
transaction, as the JSON send); X2/X4 refuse the document with ``Ваш аккаунт заблокирован``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, TypeVar
from xml.etree.ElementTree import Element

from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account, Lang
from ..domain.errors import DocumentError, DocumentErrorCode, DomainError, ValidationError
from ..domain.messages import Channel, MessageKind
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
from ..services.facade import Platform
from .errors import DocumentRefusal, document_code
from .literals import UNKNOWN_ID_STATE, UNLIMITED, Dialect, recipient_error
from .timefmt import format_wire_time, parse_wire_datetime
from .xml_core import XmlEndpoints, attr, child_text, credentials_of, element, message_text

__all__ = [
    "MAX_XML_RECIPIENTS",
    "account_of",
    "parse_send",
    "parse_state_ids",
    "render_balance",
    "render_send",
    "render_states",
    "routes",
]

#: Most ``abonent`` (X1) or ids (X2) in one document; more is a format error.
MAX_XML_RECIPIENTS: Final = 10_000
_MAX_ID_SMS: Final = 2**63 - 1
_METHODS: Final = ["GET", "POST"]  # GET only to answer "POST data is missing"

_CHANNELS: Final = {"sms": Channel.SMS, "viber": Channel.VIBER}
_KINDS: Final = {
    "sms": MessageKind.SMS,
    "flashsms": MessageKind.FLASH,
    "flash_sms": MessageKind.FLASH,  # the [WL] PHP client's spelling (§8.21)
    "silence": MessageKind.SILENCE,
    "wappush": MessageKind.WAPPUSH,
    "vcard": MessageKind.VCARD,
}
#: ``message`` children copied into ``SendItem.extra`` (texts get the literal ``\n`` rule).
_TEXT_FIELDS: Final = ("text_viber", "additional")
_PLAIN_FIELDS: Final = (
    "sender_viber",
    "button_viber",
    "action_viber",
    "image_viber",
    "url",
    "name",
    "email",
    "position",
    "organization",
    "translite",
    "name_delivery",
)
#: ``message`` children whose attributes go to ``extra`` as ``element_attribute``.
_ATTR_FIELDS: Final = {
    "phone": ("cell", "work", "fax"),
    "address": ("post_office_box", "street", "city", "region", "postal_code", "country"),
}
_ID_SEPARATORS: Final = re.compile(r"[\s,;]+")


def _bad_format() -> DocumentError:
    return DocumentError(DocumentErrorCode.BAD_FORMAT)


# --- X1 -----------------------------------------------------------------------------------------


_T = TypeVar("_T")


def _word(el: Element, name: str, table: Mapping[str, _T]) -> _T | None:
    raw = attr(el, name)
    if raw is None or not raw.strip():
        return None
    try:
        return table[raw.strip().lower()]
    except KeyError:
        raise _bad_format() from None


def _recipient(el: Element) -> SendRecipient:
    try:
        return SendRecipient(
            phone=(attr(el, "phone") or "").strip(),
            client_id_sms=(attr(el, "client_id_sms") or "").strip() or None,
            time_send=parse_wire_datetime(attr(el, "time_send") or ""),
            validity_period=parse_wire_datetime(attr(el, "validity_period") or ""),
            validity_period_viber=parse_wire_datetime(attr(el, "validity_period_viber") or ""),
            number_sms=attr(el, "number_sms"),
        )
    except ValidationError as exc:
        raise _bad_format() from exc


def _extra(message: Element) -> dict[str, str]:
    extra: dict[str, str] = {}
    for key in _PLAIN_FIELDS:
        value = child_text(message, key)
        if value is not None:
            extra[key] = value
    for key in _TEXT_FIELDS:
        value = message_text(child_text(message, key))
        if value is not None:
            extra[key] = value
    for tag, names in _ATTR_FIELDS.items():
        child = message.find(tag)
        if child is None:
            continue
        for name in names:
            value = attr(child, name)
            if value is not None:
                extra[f"{tag}_{name}"] = value
    return extra


def _item(message: Element, recipients: list[SendRecipient]) -> SendItem:
    channel = _word(message, "type_send_1", _CHANNELS)
    fallback = _word(message, "type_send_2", _CHANNELS)
    kind = _word(message, "type", _KINDS)
    return SendItem(
        recipients=recipients,
        sender=child_text(message, "sender"),
        text=message_text(child_text(message, "text")),
        channel=Channel.SMS if channel is None else channel,
        fallback=None if fallback == channel else fallback,
        kind=MessageKind.SMS if kind is None else kind,
        extra=_extra(message),
    )


def parse_send(root: Element, max_recipients: int = MAX_XML_RECIPIENTS) -> list[SendItem]:
    """X1 ``message`` elements -> items (a message without ``abonent`` is dropped).
    Unknown channel or kind, an unparseable date, too many recipients: BAD_FORMAT."""
    items: list[SendItem] = []
    total = 0
    for message in root.findall("message"):
        abonents = message.findall("abonent")
        total += len(abonents)
        if total > max_recipients:
            raise _bad_format()
        if abonents:
            items.append(_item(message, [_recipient(a) for a in abonents]))
    return items


def render_send(results: Sequence[SendResult], lang: Lang) -> list[str]:
    """One ``information`` per recipient: ``send`` with id_sms, parts, per-part price and the
    sum ([WL]); or the §1.9 text (XML variant) with only ``number_sms``."""
    out: list[str] = []
    for r in results:
        if r.error is not None:
            text = recipient_error(r.error, Dialect.XML, lang)
            out.append(element("information", {"number_sms": r.number_sms}, text))
            continue
        if r.id_sms is None:
            raise ValueError("an accepted send result has no id_sms")
        price = r.price.format() if r.price is not None else None
        total = (r.price * r.parts).format() if r.price is not None else None
        attrs = {
            "number_sms": r.number_sms,
            "id_sms": r.id_sms,
            "parts": r.parts,
            "price": price,
            "price_sum": total,
        }
        out.append(element("information", attrs, "send"))
    return out


# --- X2 -----------------------------------------------------------------------------------------


def _ids_in(text: str | None, into: list[int]) -> None:
    for token in _ID_SEPARATORS.split(text or ""):
        if not token:
            continue
        if not (token.isascii() and token.isdigit() and len(token) <= 19):
            raise _bad_format()
        value = int(token)
        if value > _MAX_ID_SMS:
            raise _bad_format()
        into.append(value)


def parse_state_ids(root: Element, max_ids: int = MAX_XML_RECIPIENTS) -> list[int]:
    """Every id under ``get_state`` in document order; no ``get_state`` is a format error."""
    blocks = root.findall("get_state")
    if not blocks:
        raise _bad_format()
    ids: list[int] = []
    for block in blocks:
        _ids_in(block.text, ids)
        for child in block:
            if child.tag != "id_sms":
                raise _bad_format()
            _ids_in(child.text, ids)
            _ids_in(child.tail, ids)
            if len(ids) > max_ids:
                raise _bad_format()
    if len(ids) > max_ids:
        raise _bad_format()
    return ids


def render_states(views: Iterable[StateView]) -> list[str]:
    """``<state id_sms time sms viber num_parts price>word</state>`` per id, in order.
    ``time`` is ``""`` while ``send``; an unknown or foreign id: the §1.7 literal, ``time=""``."""
    out: list[str] = []
    for v in views:
        if v.status is None:
            out.append(element("state", {"id_sms": v.id_sms, "time": ""}, UNKNOWN_ID_STATE))
            continue
        word = wire_word(v.status)
        attrs = {
            "id_sms": v.id_sms,
            "time": "" if word == "send" else format_wire_time(v.time),
            "sms": None if v.sms is None else wire_word(v.sms),
            "viber": None if v.viber is None else wire_word(v.viber),
            "num_parts": v.parts,
            "price": None if v.price is None else v.price.format(),
        }
        out.append(element("state", attrs, word))
    return out


# --- X4 -----------------------------------------------------------------------------------------


def render_balance(view: BalanceView, lang: Lang) -> list[str]:
    """``<money currency>`` first, then ``<sms area>count</sms>`` per area; Viber areas carry
    ``type_sms="viber"``; an unlimited count is ``Unlim`` / ``Безлимит`` (as J4)."""
    out = [element("money", {"currency": view.currency}, view.money.format())]
    unlimited = UNLIMITED[lang]
    for area in view.areas:
        viber = area.channel is not Channel.SMS
        attrs = {"area": area.area, "type_sms": area.channel.value if viber else None}
        count = unlimited if area.count is None else str(area.count)
        out.append(element("sms", attrs, count))
    return out


# --- wiring -------------------------------------------------------------------------------------


async def account_of(platform: Platform, root: Element) -> Account:
    """The authenticated account of an XML request; a locked one refuses the document with
    ``Ваш аккаунт заблокирован`` in the account's language."""
    account = await platform.authenticate(credentials_of(root))
    if account.locked:
        raise DocumentRefusal(DocumentErrorCode.ACCOUNT_LOCKED, account.lang)
    return account


class _XmlSend:
    __slots__ = ("_max", "_platform")

    def __init__(self, platform: Platform, max_recipients: int) -> None:
        self._platform = platform
        self._max = max_recipients

    async def send(self, root: Element) -> list[str]:
        items = parse_send(root, self._max)
        command = SendCommand(credentials=credentials_of(root), items=items)
        account = await self._authenticate(command.credentials)
        expected = sum(len(item.recipients) for item in items)
        if expected == 0:
            return []
        try:
            results = await self._platform.send(account, items)
        except DomainError as exc:
            raise DocumentRefusal(document_code(exc), account.lang) from exc
        if len(results) != expected:
            raise RuntimeError(f"platform answered {len(results)} results for {expected}")
        return render_send(results, account.lang)

    async def _authenticate(self, credentials: Credentials) -> Account:
        # a locked account is answered per recipient (§1.9 row 3) by the storing transaction
        return await self._platform.authenticate(credentials)

    async def state(self, root: Element) -> list[str]:
        ids = parse_state_ids(root, self._max)
        account = await account_of(self._platform, root)
        views = await self._platform.states(account, ids)
        if len(views) != len(ids):
            raise RuntimeError(f"platform answered {len(views)} states for {len(ids)} ids")
        return render_states(views)

    async def balance(self, root: Element) -> list[str]:
        account = await account_of(self._platform, root)
        return render_balance(await self._platform.balance(account), account.lang)


def routes(
    platform: Platform, xml: XmlEndpoints, *, max_recipients: int = MAX_XML_RECIPIENTS
) -> list[BaseRoute]:
    """X1 (``/xml`` and ``/xml/``), X2, X4."""
    api = _XmlSend(platform, max_recipients)
    send = xml.wrap("/xml", api.send)
    return [
        Route("/xml", send, methods=_METHODS),
        Route("/xml/", send, methods=_METHODS),
        Route("/xml/state.php", xml.wrap("/xml/state.php", api.state), methods=_METHODS),
        Route("/xml/balance.php", xml.wrap("/xml/balance.php", api.balance), methods=_METHODS),
    ]
