"""Use case: self-service registration (spec G5) and its activation by an operator.

A registration creates a PENDING account: the ``accounts`` row exists (so the login is taken)
but is inactive, and inactive accounts are invisible to every lookup, so it cannot
authenticate until an operator runs ``smsrelay account activate LOGIN``.

Validation follows the G5 table; which fields apply depends on the entity type
(``businessman``): ``le`` legal entity, ``ip`` individual entrepreneur, ``fl`` natural person
(the docs list ``le`` twice, §8.17; ``fl`` is the natural person's code, as ``address_facto``'s
"FL" note suggests). Each problem is a :class:`Problem` code; the HTTP page words them.
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from ..clock import Clock
from ..domain.messages import check_phone, normalize_phone
from .auth import hash_password, new_token
from .login_throttle import CLIENT_ADDRESS, AttemptLimiter, address_key

__all__ = [
    "FIELD_LIMIT",
    "AccountListing",
    "EntityType",
    "Problem",
    "RegistrationError",
    "RegistrationForm",
    "RegistrationService",
    "RegistrationStore",
    "validate",
]

#: Longest value of any registration field (bounded input, style habit 4).
FIELD_LIMIT: Final = 256


class EntityType(enum.StrEnum):
    LEGAL_ENTITY = "le"
    ENTREPRENEUR = "ip"
    PERSON = "fl"


class Problem(enum.Enum):
    """One reason a registration is refused (the page lists each)."""

    NOT_REGISTRATION = "registration"  # registration=1 missing
    BUSINESSMAN = "businessman"
    LOGIN = "login"
    LOGIN_TAKEN = "login_taken"
    PASSWORD = "password"
    NAME = "name"
    CITY = "city"
    PHONE = "phone"
    E_MAIL = "e_mail"
    INN = "inn"
    JURIDICAL_ADDRESS = "juridical_address"
    COMPANY_NAME = "company_name"
    OGRNIP = "ogrnip"
    ADDRESS_FACTO = "address_facto"
    TOO_LONG = "too_long"
    TOO_MANY = "too_many"  # too many registrations from this client address (docs/security.md)


@dataclass(frozen=True, slots=True)
class RegistrationForm:
    """The G5 query parameters as sent (stripped of surrounding blanks; absent = empty)."""

    registration: str = ""
    businessman: str = ""
    login: str = ""
    password: str = ""
    name: str = ""
    city: str = ""
    phone: str = ""
    e_mail: str = ""
    inn: str = ""
    juridical_address: str = ""
    company_name: str = ""
    ogrnip: str = ""
    address_facto: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RegistrationForm:
        """Pick the G5 fields from a parameter mapping; the password is kept as sent."""
        values = {name: params.get(name, "").strip() for name in _FIELDS}
        values["password"] = params.get("password", "")
        return cls(**values)

    @property
    def entity(self) -> EntityType | None:
        try:
            return EntityType(self.businessman.lower())
        except ValueError:
            return None


_FIELDS: Final = tuple(RegistrationForm.__dataclass_fields__)
_LETTER = re.compile(r"[A-Za-zА-Яа-яЁё]")
#: Letters (Latin, Cyrillic) with spaces, hyphens, apostrophes and dots between them.
_NAME = re.compile(r"[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё .'\-]*")
_E_MAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_LOGIN = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")


def _digits(value: str, low: int, high: int) -> bool:
    return value.isascii() and value.isdigit() and low <= len(value) <= high


def validate(form: RegistrationForm) -> list[Problem]:
    """Every problem with the form, in field order (empty: the form is acceptable)."""
    problems: list[Problem] = []
    if form.registration != "1":
        problems.append(Problem.NOT_REGISTRATION)
    entity = form.entity
    if entity is None:
        problems.append(Problem.BUSINESSMAN)
    if any(len(getattr(form, name)) > FIELD_LIMIT for name in _FIELDS):
        problems.append(Problem.TOO_LONG)
    if _LOGIN.fullmatch(form.login) is None:
        problems.append(Problem.LOGIN)
    if not form.password:
        problems.append(Problem.PASSWORD)
    if _NAME.fullmatch(form.name) is None or len(_LETTER.findall(form.name)) < 3:
        problems.append(Problem.NAME)
    if len(form.city) < 3:
        problems.append(Problem.CITY)
    if check_phone(normalize_phone(form.phone)) is not None:
        problems.append(Problem.PHONE)
    if _E_MAIL.fullmatch(form.e_mail) is None:
        problems.append(Problem.E_MAIL)
    business = entity in (EntityType.LEGAL_ENTITY, EntityType.ENTREPRENEUR)
    if business and not _digits(form.inn, 10, 12):
        problems.append(Problem.INN)
    if business and len(form.juridical_address) < 10:
        problems.append(Problem.JURIDICAL_ADDRESS)
    if entity is EntityType.LEGAL_ENTITY and len(form.company_name) < 5:
        problems.append(Problem.COMPANY_NAME)
    if entity is EntityType.ENTREPRENEUR and not _digits(form.ogrnip, 13, 15):
        problems.append(Problem.OGRNIP)
    if entity is EntityType.PERSON and len(form.address_facto) < 10:
        problems.append(Problem.ADDRESS_FACTO)
    return problems


@dataclass(frozen=True, slots=True)
class AccountListing:
    """One account as ``smsrelay account list`` shows it (pending ones included)."""

    id: int
    login: str
    active: bool
    locked: bool
    balance_micros: int
    businessman: str | None  # None: created by an operator, not by registration
    created_at: datetime


class RegistrationStore(Protocol):
    async def login_taken(self, login: str) -> bool:
        """True if any account, active or pending, has the login."""
        ...

    async def create_pending(
        self, form: RegistrationForm, password_hash: str, token: str, now: datetime
    ) -> int:
        """Insert the inactive account and its registration details in one transaction;
        returns the account id. Raises ``LookupError`` if the login is taken."""
        ...

    async def activate(self, login: str, now: datetime) -> int | None:
        """Make a pending account active; its id, or None if no pending account has the
        login."""
        ...

    async def list_accounts(self) -> list[AccountListing]: ...


class RegistrationError(Exception):
    """An operator command on registrations cannot be carried out (one line for the CLI)."""


class RegistrationService:
    def __init__(
        self, store: RegistrationStore, clock: Clock, limiter: AttemptLimiter | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._limiter = limiter

    def _over_limit(self) -> bool:
        """Each well-formed registration costs a lookup and an argon2 hash: at most the
        limiter's number per client address (the request's, see ``login_throttle``)."""
        key = address_key(CLIENT_ADDRESS.get())
        if self._limiter is None or key is None:
            return False
        if self._limiter.blocked(key):
            return True
        self._limiter.record(key)
        return False

    async def register(self, form: RegistrationForm) -> list[Problem]:
        """Validate and store a pending account; the problems (empty on success)."""
        problems = validate(form)
        if not problems and self._over_limit():
            return [Problem.TOO_MANY]
        if Problem.LOGIN not in problems and await self._store.login_taken(form.login):
            problems.append(Problem.LOGIN_TAKEN)
        if problems:
            return problems
        password_hash = await asyncio.to_thread(hash_password, form.password)
        try:
            await self._store.create_pending(form, password_hash, new_token(), self._clock.now())
        except LookupError:
            return [Problem.LOGIN_TAKEN]
        return []

    async def activate(self, login: str) -> int:
        """Activate LOGIN's pending account; its id. Raises :class:`RegistrationError`."""
        account_id = await self._store.activate(login, self._clock.now())
        if account_id is None:
            raise RegistrationError(f"no pending registration with login {login!r}")
        return account_id

    async def list_accounts(self) -> list[AccountListing]:
        return await self._store.list_accounts()
