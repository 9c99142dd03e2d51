"""Use case: sender-name registration and moderation (X5 list, X6 add, operator CLI).

A client files a name (X6) with its company details; the name enters ``order``. An operator
approves it (``completed``: usable for sending) or rejects it (``rejected``, the operator's
comment shown as ``history``). Only ``completed`` senders may send unless the account allows
any sender; that rule is enforced by ``domain.acceptance`` at send time, from the ``senders``
table this service writes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.errors import ValidationError
from ..domain.senders import SenderState, is_valid_sender
from .files import FileStore
from .ports import AccountStore

__all__ = [
    "MAX_REGISTRATION_FIELD_CHARS",
    "Registration",
    "RegistrationOutcome",
    "RegistrationResult",
    "SenderError",
    "SenderListing",
    "SenderRegistry",
    "SenderStore",
]

#: Longest value kept from a registration field (company details, template, link).
MAX_REGISTRATION_FIELD_CHARS: Final = 2000


class SenderError(Exception):
    """An operator command on senders cannot be carried out (one line for the CLI)."""


@dataclass(frozen=True, slots=True)
class Registration:
    """What a client files with a sender name (X6); every field but the name optional."""

    name: str
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    name_counterparty: str = ""
    template: str = ""
    comment: str = ""
    operator: str = ""
    mcc: str = ""
    mnc: str = ""
    file_href: str = ""
    file_id: int | None = None

    def __post_init__(self) -> None:
        for value in (
            self.name,
            self.inn,
            self.kpp,
            self.ogrn,
            self.name_counterparty,
            self.template,
            self.comment,
            self.operator,
            self.mcc,
            self.mnc,
            self.file_href,
        ):
            if len(value) > MAX_REGISTRATION_FIELD_CHARS:
                raise ValidationError("registration field too long")
        for code in (self.mcc, self.mnc):
            if code and not (code.isascii() and code.isdigit() and len(code) <= 3):
                raise ValidationError("MCC/MNC must be up to 3 digits")


@dataclass(frozen=True, slots=True)
class SenderListing:
    """One sender name of an account with its moderation state and registration details."""

    login: str
    name: str
    state: SenderState
    comment: str = ""
    history: str = ""
    id_originator: int | None = None  # None: added by an operator, never filed through X6
    template: str = ""
    operator: str = ""
    mcc: str = ""
    mnc: str = ""
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    name_counterparty: str = ""
    file_href: str = ""
    file_id: int | None = None


class RegistrationResult(enum.Enum):
    ADDED = "added"  # usable at once (already approved, or the account allows any sender)
    QUEUED = "queued"  # waiting for an operator
    BAD_NAME = "bad_name"  # breaks the §1.10 rule; nothing stored


@dataclass(frozen=True, slots=True)
class RegistrationOutcome:
    result: RegistrationResult
    id_originator: int | None = None


class SenderStore(Protocol):
    async def register_sender(
        self, account_id: int, registration: Registration, state: SenderState, now: datetime
    ) -> tuple[int, SenderState]: ...
    async def sender_listings(self, account_id: int | None) -> list[SenderListing]: ...
    async def decide_sender(
        self, account_id: int, name: str, state: SenderState, history: str | None
    ) -> bool: ...


class SenderRegistry:
    def __init__(
        self, store: SenderStore, accounts: AccountStore, clock: Clock, files: FileStore
    ) -> None:
        self._store = store
        self._files = files
        self._accounts = accounts
        self._clock = clock

    async def register(
        self, account: Account, registrations: Sequence[Registration]
    ) -> list[RegistrationOutcome]:
        """File each name in order. A ``file_id`` that is not one of the account's own uploads
        refuses the whole request with ``ValidationError`` before anything is stored."""
        for reg in registrations:
            if (
                reg.file_id is not None
                and await self._files.file_of(account.id, reg.file_id) is None
            ):
                raise ValidationError("unknown file id")
        now = self._clock.now()
        wanted = SenderState.COMPLETED if account.any_sender else SenderState.ORDER
        out: list[RegistrationOutcome] = []
        for reg in registrations:
            if not is_valid_sender(reg.name):
                out.append(RegistrationOutcome(RegistrationResult.BAD_NAME))
                continue
            id_originator, state = await self._store.register_sender(account.id, reg, wanted, now)
            result = (
                RegistrationResult.ADDED
                if state is SenderState.COMPLETED
                else RegistrationResult.QUEUED
            )
            out.append(RegistrationOutcome(result, id_originator))
        return out

    async def listing(self, account: Account) -> list[SenderListing]:
        return await self._store.sender_listings(account.id)

    # --- operator ------------------------------------------------------------------------------

    async def account_id(self, login: str) -> int:
        """The id of the account ``login``; ``SenderError`` when there is none."""
        record = await self._accounts.find_by_login(login)
        if record is None:
            raise SenderError(f"no account with login {login!r}")
        return record.account.id

    async def list(self, login: str | None = None) -> list[SenderListing]:
        account_id = None if login is None else await self.account_id(login)
        return await self._store.sender_listings(account_id)

    async def approve(self, login: str, name: str) -> None:
        await self._decide(login, name, SenderState.COMPLETED, None)

    async def reject(self, login: str, name: str, comment: str) -> None:
        if len(comment) > MAX_REGISTRATION_FIELD_CHARS:
            raise SenderError("comment too long")
        await self._decide(login, name, SenderState.REJECTED, comment)

    async def _decide(self, login: str, name: str, state: SenderState, history: str | None) -> None:
        account_id = await self.account_id(login)
        if not await self._store.decide_sender(account_id, name, state, history):
            raise SenderError(f"{login}: no sender {name!r}")
