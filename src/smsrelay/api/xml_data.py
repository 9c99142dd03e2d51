"""The XML dialect's data endpoints (spec §4 X8-X17): number info, bases, subscribers, STOP
list, scheduled messages, change times.

Routes (POST; a GET answers "POST data is missing")::

    /xml/def.php             X8  operator, region, time zone of numbers
    /xml/list_bases.php      X9  the account's bases
    /xml/bases.php           X10 create / update / delete bases
    /xml/list_phones.php     X11 a page of a base's subscribers
    /xml/phones.php          X12 add / edit / delete subscribers
    /xml/list_stop.php       X13 the STOP list
    /xml/stop.php            X14 add to / remove from the STOP list
    /xml/list_scheduled.php  X15 a page of scheduled messages
    /xml/scheduled.php       X16 cancel scheduled messages (refunded)
    /xml/check_change.php    X17 last change of a base or of the STOP list

A value the platform cannot store (a bad time, flag, date, gender, number, page) refuses the
whole document with the format literal before anything is written. The unknown-base literal
(``Базы с таким номером не существует``) is a document error too, answered with the configured
document-error status (§1.4). Locked accounts get ``Ваш аккаунт заблокирован`` as on J2/J4.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sized
from dataclasses import dataclass
from datetime import timedelta
from typing import Final
from xml.etree.ElementTree import Element

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account, Lang
from ..domain.errors import DocumentErrorCode, ValidationError
from ..domain.messages import Channel, check_phone, normalize_phone
from ..services.bases import (
    MAX_DAY_BEFORE,
    MAX_FIELD_CHARS,
    MAX_GREETING_CHARS,
    SUBSCRIBER_FIELDS,
    BaseOp,
    BasesService,
    SettingsPatch,
    SubscriberChange,
    birth_date,
    gender,
    time_of_day,
)
from ..services.facade import Platform
from ..services.numberinfo import NumberInfoService
from ..services.scheduled import ScheduledMessage, ScheduledService
from ..services.stoplist import StopAction, StopListService
from .errors import DocumentRefusal
from .timefmt import format_wire_datetime, parse_wire_datetime
from .xml_core import XmlEndpoints, XmlOperation, attr, credentials_of, element, message_text

__all__ = [
    "DEFAULT_NAME_DELIVERY",
    "MAX_FIELD_CHARS",
    "MAX_ITEMS",
    "NO_SUCH_BASE",
    "UNKNOWN",
    "XmlDataServices",
    "routes",
]

#: X8 value of a field nothing is known about ([WL] fixture).
UNKNOWN: Final = "unknown"
#: X11/X12/X17 ([WL]); the EN text is ours.
NO_SUCH_BASE: Final[Mapping[Lang, str]] = {
    Lang.RU: "Базы с таким номером не существует",
    Lang.EN: "A base with this number does not exist",
}
#: X15 ``name_delivery`` of a message sent without one ([WL]: the gateway's default name).
DEFAULT_NAME_DELIVERY: Final[Mapping[Lang, str]] = {Lang.RU: "Шлюз", Lang.EN: "Gateway"}
#: Most items (phones, bases, ids) one document may carry.
MAX_ITEMS: Final = 10_000
_MAX_PAGE: Final = 1_000_000

_YES: Final = {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False}
_POST: Final = ["GET", "POST"]


@dataclass(frozen=True, slots=True)
class XmlDataServices:
    numbers: NumberInfoService
    bases: BasesService
    stop_list: StopListService
    scheduled: ScheduledService


class _NoSuchBase(Exception):
    def __init__(self, lang: Lang) -> None:
        super().__init__("no such base")
        self.lang = lang


# Set when an operation answered the unknown-base error (read back by the endpoint, which runs
# the operation in the same task) so the answer gets the document-error status.
_refused_base: contextvars.ContextVar[bool] = contextvars.ContextVar("refused_base", default=False)

_Op = Callable[[Element, Account], Awaitable[Iterable[str]]]


class _Api:
    def __init__(self, platform: Platform, services: XmlDataServices) -> None:
        self._platform = platform
        self._s = services

    async def _account(self, root: Element) -> Account:
        account = await self._platform.authenticate(credentials_of(root))
        if account.locked:
            raise DocumentRefusal(DocumentErrorCode.ACCOUNT_LOCKED, account.lang)
        return account

    def operation(self, op: _Op) -> XmlOperation:
        async def run(root: Element) -> Iterable[str]:
            account = await self._account(root)
            try:
                return list(await op(root, account))
            except ValidationError as exc:
                raise DocumentRefusal(DocumentErrorCode.BAD_FORMAT, account.lang) from exc
            except _NoSuchBase as exc:
                _refused_base.set(True)
                return [element("error", None, NO_SUCH_BASE[exc.lang])]

        return run

    # --- X8 ------------------------------------------------------------------------------------

    async def number_info(self, root: Element, account: Account) -> list[str]:
        phones = _items(root, "phones", "phone")
        out = []
        for el in phones:
            raw = (el.text or attr(el, "phone") or "").strip()
            facts = self._s.numbers.describe(raw, account.lang)
            shown = {
                "operator": facts.operator or UNKNOWN,
                "region": facts.region or UNKNOWN,
                "time_zone": _hours(facts.moscow_offset),
            }
            out.append(element("phone", shown, raw))
        return out

    # --- X9, X10 -------------------------------------------------------------------------------

    async def list_bases(self, root: Element, account: Account) -> list[str]:
        out = []
        for b in await self._s.bases.list_bases(account):
            s = b.settings
            shown = {
                "id_base": b.id,
                "name_base": s.name_base,
                "time_birth": s.time_birth,
                "local_time_birth": _yes_no(s.local_time_birth),
                "day_before": s.day_before,
                "originator_birth": s.originator_birth,
                "on_birth": _yes_no(s.on_birth),
            }
            out.append(element("base", shown, s.greeting))
        return out

    async def change_bases(self, root: Element, account: Account) -> list[str]:
        ops: list[BaseOp] = []
        numbers: list[str | None] = []
        for group in root:
            if group.tag not in ("bases", "delete_bases"):
                continue
            for el in group.findall("base"):
                id_base = attr(el, "id_base")
                wanted = None if id_base in (None, "") else _int(id_base, 1)
                if group.tag == "delete_bases":
                    if wanted is None:
                        raise ValidationError("id_base missing")
                    ops.append(BaseOp(wanted, delete=True))
                else:
                    ops.append(BaseOp(wanted, _settings_patch(el)))
                numbers.append(attr(el, "number_base"))
        _bound(ops)
        results = await self._s.bases.change_bases(account, ops)
        return [
            element("base", {"number_base": number, "id_base": id_base}, result.value)
            for number, (id_base, result) in zip(numbers, results, strict=True)
        ]

    # --- X11, X12 ------------------------------------------------------------------------------

    async def list_phones(self, root: Element, account: Account) -> list[str]:
        el = root.find("base")
        if el is None:
            raise ValidationError("base missing")
        page = _int(attr(el, "page") or "1", 1, _MAX_PAGE)
        last_update = parse_wire_datetime(attr(el, "last_update") or "")
        base_id = _base_id(attr(el, "id_base"), account)
        found = await self._s.bases.phone_page(account, base_id, page, last_update)
        if found is None:
            raise _NoSuchBase(account.lang)
        rows = [
            element(
                "phone",
                {
                    "phone": s.phone,
                    **{name: s.fields[name] for name in SUBSCRIBER_FIELDS},
                    "last_update": format_wire_datetime(s.updated_at),
                },
            )
            for s in found.subscribers
        ]
        return [_wrapped("phones", {"page": found.page, "num_pages": found.num_pages}, rows)]

    async def change_phones(self, root: Element, account: Account) -> list[str]:
        batches: list[tuple[int, list[SubscriberChange]]] = []
        echoes: list[tuple[str, list[dict[str, str | None]]]] = []
        count = 0
        for base in root.findall("base"):
            id_base = attr(base, "id_base") or ""
            changes, shown = [], []
            for el in base.findall("phone"):
                changes.append(_subscriber_change(el))
                shown.append({"phone": attr(el, "phone"), "number_phone": attr(el, "number_phone")})
            count += len(changes)
            if count > MAX_ITEMS:
                raise ValidationError("too many phones")
            batches.append((_base_id(id_base, account), changes))
            echoes.append((id_base, shown))
        results = await self._s.bases.change_phones(account, batches)
        if results is None:
            raise _NoSuchBase(account.lang)
        out = []
        for (id_base, shown), words in zip(echoes, results, strict=True):
            rows = [element("phone", s, w.value) for s, w in zip(shown, words, strict=True)]
            out.append(_wrapped("base", {"id_base": id_base}, rows))
        return out

    # --- X13, X14 ------------------------------------------------------------------------------

    async def list_stop(self, root: Element, account: Account) -> list[str]:
        return [element("phone", None, p) for p in await self._s.stop_list.phones(account)]

    async def change_stop(self, root: Element, account: Account) -> list[str]:
        requested: list[tuple[StopAction, str]] = []
        for group in root:
            action = {"add_stop": StopAction.ADD, "delete_stop": StopAction.DELETE}.get(group.tag)
            if action is None:
                continue
            for el in group.findall("phone"):
                requested.append((action, (attr(el, "phone") or el.text or "").strip()))
        _bound(requested)
        results = await self._s.stop_list.change(account, requested)
        return [
            element("phone", {"phone": raw}, r.value)
            for (_, raw), r in zip(requested, results, strict=True)
        ]

    # --- X15, X16 ------------------------------------------------------------------------------

    async def list_scheduled(self, root: Element, account: Account) -> list[str]:
        el = root.find("scheduled")
        page = _int((attr(el, "page") if el is not None else None) or "1", 1, _MAX_PAGE)
        found = await self._s.scheduled.page(account, page)
        rows = [element("scheduled", _scheduled(m, account.lang)) for m in found.messages]
        return [_wrapped("phones", {"page": found.page, "num_pages": found.num_pages}, rows)]

    async def cancel_scheduled(self, root: Element, account: Account) -> list[str]:
        raw = [attr(el, "id_sms") or "" for el in root.findall("delete_schedule/schedule")]
        _bound(raw)
        ids = [int(r) if _digits(r.strip()) and len(r.strip()) < 20 else None for r in raw]
        results = await self._s.scheduled.cancel(account, ids)
        return [
            element("scheduled", {"id_sms": r}, w.value) for r, w in zip(raw, results, strict=True)
        ]

    # --- X17 -----------------------------------------------------------------------------------

    async def check_change(self, root: Element, account: Account) -> list[str]:
        el = root.find("check")
        if el is None:
            raise ValidationError("check missing")
        kind = (attr(el, "obgect") or attr(el, "object") or "").strip()  # SIC obgect
        if kind == "stop":
            when = await self._s.stop_list.changed_at(account)
        elif kind == "base":
            found = await self._s.bases.changed_at(account, _base_id(attr(el, "id"), account))
            if found is None:
                raise _NoSuchBase(account.lang)
            when = found
        else:
            raise ValidationError("obgect must be base or stop")
        return [element("obgect", {"time_update": format_wire_datetime(when)})]  # SIC


# --- parsing ---------------------------------------------------------------------------------


def _items(root: Element, group: str, tag: str) -> list[Element]:
    found = root.find(group)
    if found is None:
        raise ValidationError(f"{group} missing")
    items = found.findall(tag)
    _bound(items)
    return items


def _bound(items: Sized) -> None:
    if len(items) > MAX_ITEMS:
        raise ValidationError("too many items")


def _digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts ``²``, which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def _int(raw: str, low: int, high: int = 2**63 - 1) -> int:
    text = raw.strip()
    if not _digits(text) or len(text) > 19 or not low <= int(text) <= high:
        raise ValidationError("not a number in range")
    return int(text)


def _base_id(raw: str | None, account: Account) -> int:
    """A base number; one that cannot exist answers the unknown-base literal."""
    text = (raw or "").strip()
    if not _digits(text) or len(text) > 18 or int(text) < 1:
        raise _NoSuchBase(account.lang)
    return int(text)


def _text(raw: str | None, limit: int = MAX_FIELD_CHARS) -> str | None:
    if raw is not None and len(raw) > limit:
        raise ValidationError("value too long")
    return raw


def _flag(raw: str | None) -> bool | None:
    if raw is None:
        return None
    try:
        return _YES[raw.strip().lower()]
    except KeyError:
        raise ValidationError("flag must be yes or no") from None


def _time_of_day(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return time_of_day(raw)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _settings_patch(el: Element) -> SettingsPatch:
    day_before = attr(el, "day_before")
    greeting = message_text(el.text)
    return SettingsPatch(
        name_base=_text(attr(el, "name_base")),
        time_birth=_time_of_day(attr(el, "time_birth")),
        local_time_birth=_flag(attr(el, "local_time_birth")),
        day_before=None if day_before in (None, "") else _int(day_before, 0, MAX_DAY_BEFORE),
        originator_birth=_text(attr(el, "originator_birth")),
        on_birth=_flag(attr(el, "on_birth")),
        greeting=_text(greeting.strip() if greeting is not None else None, MAX_GREETING_CHARS),
    )


def _subscriber_change(el: Element) -> SubscriberChange:
    phone = normalize_phone(attr(el, "phone") or "")
    if check_phone(phone) is not None:
        raise ValidationError("bad subscriber phone")
    if (attr(el, "action") or "").strip().lower() == "delete":
        return SubscriberChange(phone, delete=True)
    given: dict[str, str] = {}
    for name in SUBSCRIBER_FIELDS:
        value = _text(attr(el, name))
        if value is None:
            continue
        try:
            if name == "male":
                value = gender(value)
            elif name == "date_birth":
                value = birth_date(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        given[name] = value
    return SubscriberChange(phone, given=given)


# --- rendering -------------------------------------------------------------------------------


def _wrapped(tag: str, attrs: Mapping[str, object | None], children: list[str]) -> str:
    """``<tag attrs>children</tag>`` (children already escaped elements)."""
    opening = element(tag, attrs)[: -len(" />")]
    return f"{opening}>{''.join(children)}</{tag}>"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _hours(offset: timedelta | None) -> str:
    """The offset from Moscow in hours: ``3``, ``-1``, ``2.5``; ``unknown`` when not known."""
    if offset is None:
        return UNKNOWN
    minutes = int(offset.total_seconds()) // 60
    if minutes % 60 == 0:
        return str(minutes // 60)
    return f"{minutes / 60:.2f}".rstrip("0")


def _scheduled(m: ScheduledMessage, lang: Lang) -> dict[str, object]:
    """The X15 example's attributes, with the example's names."""
    return {
        "id_sms": m.id,
        "time_put_turn": format_wire_datetime(m.queued_at),
        "originator": m.sender,
        "phone": m.phone,
        "type_sms": Channel.VIBER.value if m.channel is Channel.VIBER else m.kind.value,
        "text_sms": m.text,
        "count_sms": m.parts,
        "name_delivery": m.name_delivery or DEFAULT_NAME_DELIVERY[lang],
        "time_send": format_wire_datetime(m.due_at)[:16],  # YYYY-MM-DD HH:MM as the example
        "validity_period": format_wire_datetime(m.valid_until),
    }


# --- routes ----------------------------------------------------------------------------------


def _endpoint(
    xml: XmlEndpoints, route: str, operation: XmlOperation
) -> Callable[[Request], Awaitable[Response]]:
    inner = xml.wrap(route, operation)
    error_status = xml.refusal(DocumentErrorCode.BAD_FORMAT, None).status_code

    async def endpoint(request: Request) -> Response:
        token = _refused_base.set(False)
        try:
            response = await inner(request)
            if _refused_base.get():
                response.status_code = error_status
            return response
        finally:
            _refused_base.reset(token)

    return endpoint


def routes(platform: Platform, services: XmlDataServices, xml: XmlEndpoints) -> list[BaseRoute]:
    """The X8-X17 routes, for ``bootstrap``'s feature wiring."""
    api = _Api(platform, services)
    table: dict[str, _Op] = {
        "/xml/def.php": api.number_info,
        "/xml/list_bases.php": api.list_bases,
        "/xml/bases.php": api.change_bases,
        "/xml/list_phones.php": api.list_phones,
        "/xml/phones.php": api.change_phones,
        "/xml/list_stop.php": api.list_stop,
        "/xml/stop.php": api.change_stop,
        "/xml/list_scheduled.php": api.list_scheduled,
        "/xml/scheduled.php": api.cancel_scheduled,
        "/xml/check_change.php": api.check_change,
    }
    return [
        Route(path, _endpoint(xml, path, api.operation(op)), methods=_POST)
        for path, op in table.items()
    ]
