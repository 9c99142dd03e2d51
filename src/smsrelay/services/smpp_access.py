"""Use case: SMPP access of customer accounts (issue 11) — set by the operator, checked at bind.

An account binds with ``system_id`` = its login and ``password`` = its own SMPP password (SMPP
3.4 §5.2.4 caps a password at 8 octets, so it is not the HTTP password). The check answers in
the same time whether the login is unknown or the password wrong: an unknown login is verified
against a dummy argon2 hash. Nothing here knows SMPP statuses: the SMPP server maps
:class:`BindRefusal` to them.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..clock import Clock
from ..domain.accounts import Account
from .admin import AdminError
from .auth import hash_password, verify_password
from .ports import AccountStore

__all__ = [
    "BindGrant",
    "BindRefusal",
    "SmppAccess",
    "SmppAccessRecord",
    "SmppAccessService",
    "SmppAccessStore",
]

DEFAULT_MAX_BINDS = 4
DEFAULT_THROUGHPUT = 30  # msg/s, as Webcom states
MAX_PASSWORD = 8  # SMPP 3.4 §4.1.1: password is a C-octet string of at most 9 octets
_DUMMY_HASH = hash_password("smsrelay-no-such-login")


@dataclass(frozen=True, slots=True)
class SmppAccess:
    max_binds: int = DEFAULT_MAX_BINDS
    throughput: int = DEFAULT_THROUGHPUT
    allowed: tuple[str, ...] = ()  # CIDRs; empty = any address

    def allows(self, address: str) -> bool:
        if not self.allowed:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(c, strict=False) for c in self.allowed)


@dataclass(frozen=True, slots=True)
class SmppAccessRecord:
    account: Account
    active: bool  # False: registration pending
    password_hash: str
    access: SmppAccess


class SmppAccessStore(Protocol):
    async def set_access(
        self, account_id: int, password_hash: str, access: SmppAccess, now: datetime
    ) -> None: ...

    async def find_access(self, login: str) -> SmppAccessRecord | None: ...


class BindRefusal(enum.Enum):
    INVALID_PASSWORD = "invalid_password"  # unknown login, no SMPP access or wrong password
    LOCKED = "locked"  # locked or pending account
    ADDRESS = "address"  # not from an allowed address


@dataclass(frozen=True, slots=True)
class BindGrant:
    account: Account
    access: SmppAccess


class SmppAccessService:
    def __init__(self, store: SmppAccessStore, accounts: AccountStore, clock: Clock) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock

    async def configure(
        self,
        login: str,
        password: str,
        *,
        max_binds: int = DEFAULT_MAX_BINDS,
        throughput: int = DEFAULT_THROUGHPUT,
        allowed: Sequence[str] = (),
    ) -> SmppAccess:
        """Give an account SMPP access (or change it): its SMPP password and limits."""
        record = await self._accounts.find_by_login(login)
        if record is None:
            raise AdminError(f"no account {login!r}")
        if not 1 <= len(password) <= MAX_PASSWORD:
            raise AdminError(f"the SMPP password must have 1..{MAX_PASSWORD} characters")
        if not 1 <= max_binds <= 1000:
            raise AdminError("max binds must be 1..1000")
        if not 1 <= throughput <= 1_000_000:
            raise AdminError("throughput must be 1..1000000 msg/s")
        cidrs: list[str] = []
        for item in allowed:
            try:
                cidrs.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError as exc:
                raise AdminError(f"not a CIDR: {item!r}") from exc
        access = SmppAccess(max_binds, throughput, tuple(cidrs))
        digest = await asyncio.to_thread(hash_password, password)
        await self._store.set_access(record.account.id, digest, access, self._clock.now())
        return access

    async def check_bind(self, login: str, password: str, address: str) -> BindGrant | BindRefusal:
        """Who binds, or why not. The same argon2 work whatever the outcome."""
        record = await self._store.find_access(login) if login else None
        digest = record.password_hash if record is not None else _DUMMY_HASH
        ok = await asyncio.to_thread(verify_password, digest, password[:MAX_PASSWORD])
        if record is None or not ok:
            return BindRefusal.INVALID_PASSWORD
        if record.account.locked or not record.active:
            return BindRefusal.LOCKED
        if not record.access.allows(address):
            return BindRefusal.ADDRESS
        return BindGrant(record.account, record.access)
