"""The account's STOP list (X13, X14) and its change time (X17 ``stop``).

Numbers on the list are refused at sending time (``domain.acceptance``, §1.9 row 5) and cost
nothing. Adding a number already listed answers ``add`` (it is on the list afterwards);
removing one that is not listed answers ``not_found``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.messages import check_phone, normalize_phone
from .bases import ChangeResult
from .localtime import to_local

__all__ = ["StopAction", "StopListService", "StopListStore", "StopOp"]


class StopAction(enum.Enum):
    ADD = "add"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class StopOp:
    action: StopAction
    phone: str  # normalized and valid


class StopListStore(Protocol):
    async def stop_phones(self, account_id: int) -> list[str]:
        """The account's stopped numbers, sorted."""
        ...

    async def change_stop_list(
        self, account_id: int, ops: Sequence[StopOp], now: datetime
    ) -> list[ChangeResult]:
        """Apply in order, in one transaction: ``ADD`` or ``DELETE`` / ``NOT_FOUND`` each."""
        ...

    async def stop_list_changed_at(self, account_id: int) -> datetime:
        """Last addition or removal; the account's creation if the list never changed."""
        ...


class StopListService:
    def __init__(self, store: StopListStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def phones(self, account: Account) -> list[str]:
        return await self._store.stop_phones(account.id)

    async def change(
        self, account: Account, requested: Sequence[tuple[StopAction, str]]
    ) -> list[ChangeResult]:
        """One result per requested (action, raw phone), in order. A number that is not a
        valid phone number can be neither listed nor found: ``not_found``."""
        results: list[ChangeResult | None] = []
        ops: list[StopOp] = []
        for action, raw in requested:
            phone = normalize_phone(raw)
            if check_phone(phone) is not None:
                results.append(ChangeResult.NOT_FOUND)
                continue
            results.append(None)
            ops.append(StopOp(action, phone))
        done = iter(await self._store.change_stop_list(account.id, ops, self._clock.now()))
        return [r if r is not None else next(done) for r in results]

    async def changed_at(self, account: Account) -> datetime:
        """Local time of the list's last change."""
        return to_local(await self._store.stop_list_changed_at(account.id), account)
