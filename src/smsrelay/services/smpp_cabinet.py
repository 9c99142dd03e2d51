"""What the client cabinet shows of an account's SMPP access (read-only): its system_id (the
login), limits, allowed addresses, where the server listens, and the account's live binds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..clock import Clock
from ..domain.accounts import Account
from .smpp_access import SmppAccess, SmppAccessRecord
from .smpp_outbox import BindRow

__all__ = ["LIVE_BIND_SECONDS", "SmppCabinetService", "SmppCabinetStore", "SmppView"]

# a bind row not refreshed for this long belongs to a dead process (as the SMPP server counts)
LIVE_BIND_SECONDS = 15.0


class SmppCabinetStore(Protocol):
    async def find_access(self, login: str) -> SmppAccessRecord | None: ...
    async def account_binds(self, account_id: int, since: datetime) -> list[BindRow]: ...


@dataclass(frozen=True, slots=True)
class SmppView:
    system_id: str
    active: bool
    access: SmppAccess
    address: str  # host:port of the SMPP server
    binds: list[BindRow]


class SmppCabinetService:
    def __init__(self, store: SmppCabinetStore, clock: Clock, address: Callable[[], str]) -> None:
        self._store = store
        self._clock = clock
        self._address = address

    async def view(self, account: Account) -> SmppView | None:
        """None when the account has no SMPP access; only this account's binds otherwise."""
        record = await self._store.find_access(account.login)
        if record is None or record.account.id != account.id:
            return None
        since = self._clock.now() - timedelta(seconds=LIVE_BIND_SECONDS)
        binds = await self._store.account_binds(account.id, since)
        return SmppView(account.login, record.active, record.access, self._address(), binds)
