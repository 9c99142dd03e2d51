"""The one interface the HTTP dialects (JSON, XML and GET) call for sending, state and balance.

``api/`` depends on this Protocol only; ``bootstrap`` hands it the real implementation
(``services.platform.PlatformService``). Tests of pure parsing/rendering may pass a fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..domain.accounts import Account
from .commands import BalanceView, Credentials, SendItem, SendResult, StateView

__all__ = ["Platform"]


class Platform(Protocol):
    async def authenticate(self, credentials: Credentials) -> Account:
        """Token if given, else login + password.

        Raises ``DocumentError(BAD_CREDENTIALS)`` for unknown or wrong credentials. A locked
        account is returned (``account.locked``): each dialect decides how to answer it.
        """
        ...

    async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]:
        """One result per recipient, in request order (items, then their recipients)."""
        ...

    async def states(self, account: Account, ids: Sequence[int]) -> list[StateView]:
        """One view per requested id, in order; ``status`` None for unknown or foreign ids."""
        ...

    async def balance(self, account: Account) -> BalanceView: ...
