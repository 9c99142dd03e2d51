"""Subscriber bases (X9-X12) and their change times (X17 ``base``).

A base holds an account's subscribers and its birthday-greeting settings. Every change of the
settings or of any subscriber moves the base's change time. Subscribers' region and operator are
filled in from the numbering data (:class:`NumberInfoService`) when the client gives none.
Times given to and returned by this service are the account's local wall-clock time (naive).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Protocol

from ..clock import Clock
from ..domain.accounts import Account
from .localtime import from_local, to_local
from .numberinfo import NumberInfoService

__all__ = [
    "MAX_DAY_BEFORE",
    "MAX_FIELD_CHARS",
    "MAX_GREETING_CHARS",
    "PHONES_PAGE_SIZE",
    "SUBSCRIBER_FIELDS",
    "Base",
    "BaseOp",
    "BaseSettings",
    "BaseStore",
    "BasesService",
    "ChangeResult",
    "PhonePage",
    "SettingsPatch",
    "Subscriber",
    "SubscriberChange",
    "birth_date",
    "gender",
    "page_count",
    "time_of_day",
]

#: Subscribers per X11 page (the spec gives no size; see docs/compatibility.md).
PHONES_PAGE_SIZE: Final = 100

#: The subscriber attributes of X11/X12 besides the phone, in the spec's order.
SUBSCRIBER_FIELDS: Final = (
    "region",
    "operator",
    "name",
    "surname",
    "patronymic",
    "date_birth",
    "male",
    "addition_1",
    "addition_2",
    "addition_3",
    "addition_4",
    "addition_5",
)


#: Longest setting or subscriber value stored; the greeting text may be longer.
MAX_FIELD_CHARS: Final = 1_000
MAX_GREETING_CHARS: Final = 10_000
#: ``day_before`` is 0 (the day itself) to a year ahead.
MAX_DAY_BEFORE: Final = 366

_GENDER: Final = {"m": "m", "f": "f", "мужской": "m", "женский": "f", "": ""}


# The value rules every way in (X10/X12 and the cabinet) shares; each raises ValueError.


def time_of_day(raw: str) -> str:
    """``HH:MM`` (seconds tolerated and dropped); ``""`` clears it."""
    text = raw.strip()
    if text == "":
        return ""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(
        p.isascii() and p.isdigit() and len(p) <= 2 for p in parts
    ):
        raise ValueError("time must be HH:MM")
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59 or (len(parts) == 3 and int(parts[2]) > 59):
        raise ValueError("time out of range")
    return f"{hour:02d}:{minute:02d}"


def birth_date(raw: str) -> str:
    """``YYYY-MM-DD``; ``""`` clears it."""
    text = raw.strip()
    if text == "":
        return ""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError("date_birth must be YYYY-MM-DD") from None


def gender(raw: str) -> str:
    """``m``/``f`` (the spec's Russian words too); ``""`` clears it."""
    found = _GENDER.get(raw.strip().lower())
    if found is None:
        raise ValueError("male must be m or f")
    return found


class ChangeResult(enum.StrEnum):
    """Outcome of one change; the values are the spec's result words (X10, X12, X14, X16)."""

    INSERT = "insert"
    EDIT = "edit"
    DELETE = "delete"
    ADD = "add"
    NOT_FOUND = "not_found"


def page_count(total: int, page_size: int) -> int:
    """Pages needed for ``total`` rows; an empty list still has its (empty) page 1."""
    return max(1, math.ceil(total / page_size))


@dataclass(frozen=True, slots=True)
class BaseSettings:
    """A base's settings as stored (X9 attributes and the greeting text)."""

    name_base: str = ""
    time_birth: str = ""  # HH:MM, "" = not set
    local_time_birth: bool = False
    day_before: int = 0
    originator_birth: str = ""
    on_birth: bool = False
    greeting: str = ""


@dataclass(frozen=True, slots=True)
class SettingsPatch:
    """The settings one X10 ``<base>`` gives; ``None`` = not given (kept on edit)."""

    name_base: str | None = None
    time_birth: str | None = None
    local_time_birth: bool | None = None
    day_before: int | None = None
    originator_birth: str | None = None
    on_birth: bool | None = None
    greeting: str | None = None

    def apply(self, current: BaseSettings) -> BaseSettings:
        given = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }
        return dataclasses.replace(current, **given)


@dataclass(frozen=True, slots=True)
class Base:
    id: int
    settings: BaseSettings


@dataclass(frozen=True, slots=True)
class BaseOp:
    """One X10 operation: save (``id_base`` None = create) or delete."""

    id_base: int | None
    patch: SettingsPatch = SettingsPatch()
    delete: bool = False


@dataclass(frozen=True, slots=True)
class Subscriber:
    phone: str
    fields: Mapping[str, str]  # every name of SUBSCRIBER_FIELDS ("" = not known)
    updated_at: datetime  # aware UTC from the store; naive local from the service


@dataclass(frozen=True, slots=True)
class SubscriberChange:
    """One X12 ``<phone>``: delete, or save the given fields (others kept on edit)."""

    phone: str  # normalized
    delete: bool = False
    given: Mapping[str, str] = field(default_factory=dict)
    detected: Mapping[str, str] = field(default_factory=dict)  # region/operator, for inserts


@dataclass(frozen=True, slots=True)
class PhonePage:
    page: int
    num_pages: int
    subscribers: list[Subscriber]


class BaseStore(Protocol):
    async def list_bases(self, account_id: int) -> list[Base]: ...

    async def change_bases(
        self, account_id: int, ops: Sequence[BaseOp], now: datetime
    ) -> list[tuple[int | None, ChangeResult]]:
        """Apply in order, in one transaction; per op the base id and the result."""
        ...

    async def phone_page(
        self, account_id: int, base_id: int, since: datetime | None, offset: int, limit: int
    ) -> tuple[int, list[Subscriber]] | None:
        """(total matching, the slice ordered by phone); None if the account has no such base."""
        ...

    async def subscriber(self, account_id: int, base_id: int, phone: str) -> Subscriber | None:
        """One subscriber of the account's base; None if there is no such base or number."""
        ...

    async def change_phones(
        self,
        account_id: int,
        batches: Sequence[tuple[int, Sequence[SubscriberChange]]],
        now: datetime,
    ) -> list[list[ChangeResult]] | None:
        """Per base, apply its changes in order; None (nothing written) if a base is unknown."""
        ...

    async def base_changed_at(self, account_id: int, base_id: int) -> datetime | None: ...


class BasesService:
    def __init__(self, store: BaseStore, numbers: NumberInfoService, clock: Clock) -> None:
        self._store = store
        self._numbers = numbers
        self._clock = clock

    async def list_bases(self, account: Account) -> list[Base]:
        return await self._store.list_bases(account.id)

    async def change_bases(
        self, account: Account, ops: Sequence[BaseOp]
    ) -> list[tuple[int | None, ChangeResult]]:
        return await self._store.change_bases(account.id, ops, self._clock.now())

    async def phone_page(
        self, account: Account, base_id: int, page: int, last_update: datetime | None
    ) -> PhonePage | None:
        """Page ``page`` (1-based) of the base's subscribers changed at or after
        ``last_update`` (local time); None if the account has no such base."""
        since = from_local(last_update, account) if last_update is not None else None
        found = await self._store.phone_page(
            account.id, base_id, since, (page - 1) * PHONES_PAGE_SIZE, PHONES_PAGE_SIZE
        )
        if found is None:
            return None
        total, rows = found
        local = [dataclasses.replace(s, updated_at=to_local(s.updated_at, account)) for s in rows]
        return PhonePage(page, page_count(total, PHONES_PAGE_SIZE), local)

    async def subscriber(self, account: Account, base_id: int, phone: str) -> Subscriber | None:
        """One subscriber (``updated_at`` in local time); None if the account's base has no
        such number or the account no such base."""
        found = await self._store.subscriber(account.id, base_id, phone)
        if found is None:
            return None
        return dataclasses.replace(found, updated_at=to_local(found.updated_at, account))

    async def change_phones(
        self, account: Account, batches: Sequence[tuple[int, Sequence[SubscriberChange]]]
    ) -> list[list[ChangeResult]] | None:
        """Apply the changes; region/operator not given are detected from the number."""
        filled = [
            (base_id, [self._detect(account, c) for c in changes]) for base_id, changes in batches
        ]
        return await self._store.change_phones(account.id, filled, self._clock.now())

    def _detect(self, account: Account, change: SubscriberChange) -> SubscriberChange:
        if change.delete or ("region" in change.given and "operator" in change.given):
            return change
        facts = self._numbers.describe(change.phone, account.lang)
        detected = {"region": facts.region or "", "operator": facts.operator or ""}
        return dataclasses.replace(change, detected=detected)

    async def changed_at(self, account: Account, base_id: int) -> datetime | None:
        """Local time of the base's last change; None if the account has no such base."""
        found = await self._store.base_changed_at(account.id, base_id)
        return None if found is None else to_local(found, account)
