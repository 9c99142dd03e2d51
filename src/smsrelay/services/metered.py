"""A :class:`~smsrelay.services.facade.Platform` that counts what it accepts, by channel and
entry point (``smsrelay_messages_accepted_total{channel,entry}``).

``bootstrap`` gives each entry (the JSON, XML and GET dialects; the customer SMPP server)
its own wrapper around the one platform: one counter increment per channel per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..domain.accounts import Account
from .commands import BalanceView, Credentials, SendItem, SendResult, StateView
from .facade import Platform
from .ports import Metrics

__all__ = ["MeteredPlatform"]


class MeteredPlatform:
    __slots__ = ("_entry", "_metrics", "_platform")

    def __init__(self, platform: Platform, metrics: Metrics, entry: str) -> None:
        self._platform = platform
        self._metrics = metrics
        self._entry = entry

    async def authenticate(self, credentials: Credentials) -> Account:
        return await self._platform.authenticate(credentials)

    async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]:
        results = await self._platform.send(account, items)
        counts: dict[str, int] = {}
        i = 0
        for item in items:  # one result per recipient, items in order
            n = len(item.recipients)
            ok = sum(1 for r in results[i : i + n] if r.id_sms is not None and r.error is None)
            i += n
            if ok:
                key = item.channel.value
                counts[key] = counts.get(key, 0) + ok
        for channel, n in counts.items():
            self._metrics.accepted(channel, self._entry, n)
        return results

    async def states(self, account: Account, ids: Sequence[int]) -> list[StateView]:
        return await self._platform.states(account, ids)

    async def balance(self, account: Account) -> BalanceView:
        return await self._platform.balance(account)

    def __getattr__(self, name: str) -> Any:  # anything else the dialects use, unchanged
        return getattr(self._platform, name)
