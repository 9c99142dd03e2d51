"""Statistics over XML: W1 ``/xml/stats.php`` (spec §7) and our ``/xml/stats_summary.php``.

W1: ``<stats date_start date_stop state originator phone operator from_hour from_minute to_hour
to_minute/>`` (dates ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM[:SS]`` in the account's time; the last
three months only) answers ``<stats num_stats="N">`` with one ``<stat/>`` per message part:
``id_sms id_state operator name_delivery phone originator time_change_state time status
status_translate text price part_no num_parts`` (the phone masked ``7900123****``; ``price`` per
part; ``id_state`` our number of the status word, docs/statistics.md). A bad date answers
``Некорректный формат даты``, an unknown operator ``Такой оператор не обнаружен`` (§1.8).

``/xml/stats_summary.php`` (ours, docs/statistics.md): ``<summary date_start date_stop
group_by="day,status,area,sender,campaign"/>`` answers ``<summary><row day status area sender
campaign messages parts cost/></summary>`` from the summary table.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from xml.etree.ElementTree import Element

from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account, Lang
from ..domain.status import MessageStatus, wire_word
from ..services.facade import Platform
from ..services.localtime import from_local, to_local
from ..services.numberinfo import NumberInfoService
from ..services.stats import MessageFilter, MessageRow, StatsError, StatsService
from .timefmt import format_wire_datetime
from .xml_core import XmlEndpoints, attr, element
from .xml_send import account_of

__all__ = ["BAD_DATE", "NO_OPERATOR", "routes"]

BAD_DATE: Final = "Некорректный формат даты"
NO_OPERATOR: Final = "Такой оператор не обнаружен"
_METHODS = ["GET", "POST"]

#: Our numbering of the §1.7 status words (``id_state``).
STATE_IDS: Final = MappingProxyType(
    {"send": 1, "deliver": 2, "not_deliver": 3, "expired": 4, "partly_deliver": 5, "read": 6}
)
_TRANSLATED: Final = {
    "send": ("Отправлено", "Sent"),
    "deliver": ("Доставлено", "Delivered"),
    "not_deliver": ("Не доставлено", "Not delivered"),
    "expired": ("Просрочено", "Expired"),
    "partly_deliver": ("Доставлено частично", "Partly delivered"),
    "read": ("Прочитано", "Read"),
}
#: Operator codes W4 uses, and what they match in the numbering data's operator names.
OPERATOR_CODES: Final = MappingProxyType(
    {"mts": "мтс", "mega": "мегафон", "tele2": "t2", "beeline": "билайн", "yota": "yota"}
)


def _when(raw: str | None, end: bool) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            value = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and end:
            value += timedelta(days=1)
        return value
    raise ValueError(text)


def _hour(el: Element, h: str, m: str, default: time) -> time:
    hour, minute = attr(el, h), attr(el, m)
    if not (hour or minute):
        return default
    return time(int(hour or 0), int(minute or 0))


def mask(phone: str) -> str:
    """``79001234567`` -> ``7900123****`` (spec §7)."""
    return phone[:-4] + "****" if len(phone) > 4 else "****"


def _statuses(word: str | None) -> frozenset[MessageStatus] | None:
    if not word or not word.strip():
        return None
    wanted = word.strip().lower()
    return frozenset(s for s in MessageStatus if wire_word(s) == wanted)


class _Stats:
    def __init__(self, platform: Platform, stats: StatsService, numbers: NumberInfoService) -> None:
        self._platform = platform
        self._stats = stats
        self._numbers = numbers

    def _operator(self, phone: str, lang: Lang) -> str:
        return self._numbers.describe(phone, lang).operator or ""

    async def w1(self, root: Element) -> list[str]:
        account = await account_of(self._platform, root)
        el = root.find("stats")
        el = el if el is not None else Element("stats")
        try:
            start = _when(attr(el, "date_start"), end=False)
            stop = _when(attr(el, "date_stop"), end=True)
            hours = (
                _hour(el, "from_hour", "from_minute", time(0, 0)),
                _hour(el, "to_hour", "to_minute", time(23, 59, 59)),
            )
        except ValueError:
            return [element("error", None, BAD_DATE)]
        operator = (attr(el, "operator") or "").strip().lower()
        needle = OPERATOR_CODES.get(operator, operator)
        now = to_local(self._stats_now(), account)
        where = MessageFilter(
            since=from_local(start or now - timedelta(days=92), account),
            until=from_local(stop or now + timedelta(days=1), account),
            statuses=_statuses(attr(el, "state")),
            sender=(attr(el, "originator") or "").strip() or None,
            phone=(attr(el, "phone") or "").strip().lstrip("+") or None,
        )
        offset = to_local(datetime(2000, 1, 1), account) - datetime(2000, 1, 1)
        rows = await self._stats.messages(
            account, where, None if hours == (time(0), time(23, 59, 59)) else hours, offset
        )
        named = [(r, self._operator(r.phone, account.lang)) for r in rows]
        if needle:
            named = [(r, op) for r, op in named if needle in op.lower()]
            if not named and operator not in OPERATOR_CODES and not self._known(needle):
                return [element("error", None, NO_OPERATOR)]
        stats = [s for r, op in named for s in self._render(r, op, account)]
        head = element("stats", {"num_stats": len(stats)})[: -len(" />")]
        return [f"{head}>{''.join(stats)}</stats>"]

    def _stats_now(self) -> datetime:
        return self._stats.now()

    def _known(self, needle: str) -> bool:
        from ..services.numberinfo import RU_DEF_SUPPLEMENT

        return any(
            needle in d.operator_ru.lower() or needle in d.operator_en.lower()
            for d in RU_DEF_SUPPLEMENT.values()
        )

    def _render(self, r: MessageRow, operator: str, account: Account) -> list[str]:
        word = wire_word(r.status)
        ru, en = _TRANSLATED[word]
        changed = (
            format_wire_datetime(to_local(r.status_at, account))
            if r.status.is_final and r.status_at is not None
            else ""
        )
        common = {
            "id_sms": r.id,
            "id_state": STATE_IDS[word],
            "operator": operator,
            "name_delivery": r.campaign or ("Шлюз" if account.lang is Lang.RU else "Gateway"),
            "phone": mask(r.phone),
            "originator": r.sender,
            "time_change_state": changed,
            "time": format_wire_datetime(to_local(r.created_at, account)),
            "status": word,
            "status_translate": ru if account.lang is Lang.RU else en,
            "text": r.text,
            "price": r.price,
        }
        return [
            element("stat", {**common, "part_no": n, "num_parts": r.parts}, "")
            for n in range(1, r.parts + 1)
        ]

    async def summary(self, root: Element) -> list[str]:
        account = await account_of(self._platform, root)
        el = root.find("summary")
        el = el if el is not None else Element("summary")
        try:
            first, last = _day(attr(el, "date_start")), _day(attr(el, "date_stop"))
        except ValueError:
            return [element("error", None, BAD_DATE)]
        group = [g.strip() for g in (attr(el, "group_by") or "day,status").split(",") if g.strip()]
        try:
            rows = await self._stats.summary(account, first, last, group)
        except StatsError as exc:
            return [element("error", None, str(exc))]
        names = list(dict.fromkeys(group))
        out = [
            element(
                "row",
                {
                    **dict(zip(names, r.key, strict=True)),
                    "messages": r.messages,
                    "parts": r.parts,
                    "cost": r.cost,
                },
            )
            for r in rows
        ]
        return [f"<summary>{''.join(out)}</summary>"]


def _day(raw: str | None) -> date | None:
    if raw is None or not raw.strip():
        return None
    return datetime.strptime(raw.strip()[:10], "%Y-%m-%d").date()


def routes(
    platform: Platform,
    xml: XmlEndpoints,
    stats: StatsService,
    numbers: NumberInfoService,
) -> list[BaseRoute]:
    api = _Stats(platform, stats, numbers)
    return [
        Route("/xml/stats.php", xml.wrap("/xml/stats.php", api.w1), methods=_METHODS),
        Route(
            "/xml/stats_summary.php",
            xml.wrap("/xml/stats_summary.php", api.summary),
            methods=_METHODS,
        ),
    ]
