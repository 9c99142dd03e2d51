"""The implementation of ``services.facade.Platform`` the HTTP dialects call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..domain.accounts import Account
from ..domain.messages import Channel
from ..domain.money import Money
from .auth import Authenticator
from .cascade import ChannelState, ChannelStateSource
from .commands import AreaCount, BalanceView, Credentials, SendItem, SendResult, StateView
from .localtime import to_local
from .ports import AccountPrices, AccountStore, MessageQueries, MessageView
from .submit import SubmitService

__all__ = ["PlatformService"]


class PlatformService:
    def __init__(
        self,
        auth: Authenticator,
        submit: SubmitService,
        queries: MessageQueries,
        accounts: AccountStore,
        channels: ChannelStateSource | None = None,
        prices: AccountPrices | None = None,
    ) -> None:
        """``prices``: each account's own price list (its tariff, docs/billing.md); without
        it, the default tariff for everybody."""
        self._prices = prices
        self._auth = auth
        self._channels = channels  # per-channel statuses of Viber/cascade messages
        self._submit = submit
        self._queries = queries
        self._accounts = accounts

    async def authenticate(self, credentials: Credentials) -> Account:
        return await self._auth.authenticate(credentials)

    async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]:
        return await self._submit.send(account, items)

    async def states(self, account: Account, ids: Sequence[int]) -> list[StateView]:
        views = await self._queries.views(account.id, list(dict.fromkeys(ids)))
        legs = await self._channel_states(views)
        out: list[StateView] = []
        for i in ids:
            v = views.get(i)
            if v is None:
                out.append(StateView(id_sms=i, status=None, time=None))
                continue
            shown = v.status_at if v.status.is_final and v.status_at is not None else None
            leg = legs.get(i)
            out.append(
                StateView(
                    id_sms=i,
                    status=v.status,
                    time=to_local(shown, account) if shown is not None else None,
                    parts=v.parts,
                    price=v.price,
                    sms=leg.sms if leg else v.status if v.channel is Channel.SMS else None,
                    viber=leg.viber if leg else v.status if v.channel is Channel.VIBER else None,
                )
            )
        return out

    async def _channel_states(self, views: Mapping[int, MessageView]) -> dict[int, ChannelState]:
        """Per-channel statuses of the Viber and cascade messages among ``views``."""
        if self._channels is None or not views:
            return {}
        return await self._channels.channel_states(list(views))

    async def balance(self, account: Account) -> BalanceView:
        money = await self._queries.balance(account.id)
        prices = (
            await self._prices.price_list(account.id)
            if self._prices is not None
            else await self._accounts.price_list()
        )
        # One count per (channel, area): what the money buys at that area's highest price.
        worst: dict[tuple[Channel, str], Money] = {}
        for e in prices.entries:
            key = (e.channel, e.area)
            if key not in worst or e.price > worst[key]:
                worst[key] = e.price
        areas = [
            AreaCount(area=area, channel=channel, count=money.times_affordable(price))
            for (channel, area), price in worst.items()
        ]
        return BalanceView(money=money, currency=account.currency, areas=areas)
