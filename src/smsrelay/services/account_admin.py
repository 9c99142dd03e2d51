"""Operator account chores missing from the first CLI: see an account (balance, limits,
statement), change its password, rotate its API token, remove a sender name.

Through a small port (``AccountAdminStore``, ``store/account_admin.py``) next to the
``AccountStore`` the rest of the platform uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.money import Money
from ..domain.senders import Sender
from .admin import AdminError
from .auth import hash_password, new_token
from .ports import AccountStore

__all__ = ["AccountAdmin", "AccountAdminStore", "AccountOverview", "StatementLine"]


@dataclass(frozen=True, slots=True)
class StatementLine:
    at: datetime
    kind: str  # charge, refund, topup, manager...
    amount: Money  # signed: + credit, - debit
    message_id: int | None


@dataclass(frozen=True, slots=True)
class AccountOverview:
    account: Account
    has_token: bool
    limits: list[tuple[str, float]]  # (sender, "" = whole account; parts per second)
    senders: list[Sender]
    statement: list[StatementLine]  # newest first


class AccountAdminStore(Protocol):
    async def set_password_hash(self, account_id: int, password_hash: str) -> None: ...
    async def set_token(self, account_id: int, token: str) -> None:
        """Raises ``LookupError`` if another account has the token."""
        ...

    async def remove_sender(self, account_id: int, name: str) -> bool: ...
    async def statement(self, account_id: int, limit: int) -> list[StatementLine]: ...
    async def limits(self, account_id: int) -> list[tuple[str, float]]: ...


class AccountAdmin:
    def __init__(self, accounts: AccountStore, store: AccountAdminStore, clock: Clock) -> None:
        self._accounts = accounts
        self._store = store
        self._clock = clock

    async def _find(self, login: str) -> tuple[Account, bool]:
        record = await self._accounts.find_by_login(login)
        if record is None:
            raise AdminError(f"no account with login {login!r}")
        return record.account, record.token is not None

    async def overview(self, login: str, statement: int = 20) -> AccountOverview:
        account, has_token = await self._find(login)
        return AccountOverview(
            account=account,
            has_token=has_token,
            limits=await self._store.limits(account.id),
            senders=await self._accounts.senders(account.id),
            statement=await self._store.statement(account.id, statement),
        )

    async def set_password(self, login: str, password: str) -> None:
        if not password:
            raise AdminError("password must not be empty")
        account, _ = await self._find(login)
        await self._store.set_password_hash(account.id, hash_password(password))

    async def rotate_token(self, login: str) -> str:
        """A new API token; the old one stops working (within the auth cache's second)."""
        account, _ = await self._find(login)
        token = new_token()
        await self._store.set_token(account.id, token)
        return token

    async def remove_sender(self, login: str, name: str) -> None:
        account, _ = await self._find(login)
        if not await self._store.remove_sender(account.id, name):
            raise AdminError(f"account {login!r} has no sender {name!r}")
