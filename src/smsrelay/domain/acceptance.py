"""The money decision for a batch of recipients: pure, run inside the storing transaction.

The store loads an :class:`AcceptanceContext` for an account (balance locked for update,
approved senders, stopped numbers among the batch's phones, client ids already used), calls
:func:`decide` for each request in arrival order and persists what it returns. Because the
decision and the balance update happen in one transaction on locked rows, concurrent requests
can never overdraw an account, and a repeated ``client_id_sms`` is never charged twice.

Resellers (docs/billing.md): an account with a parent carries its chain of resellers
(:class:`Upstream`, nearest first). An accepted message then also moves money at every level:
the reseller is credited what the level below paid (its ``income``) and debited its own tariff's
price (its ``price``), so its balance changes by its margin. No level may end below zero; the
balances of a batch are carried in one ``wallet`` shared by every account of the batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .errors import RecipientError
from .messages import NewMessage
from .money import Money
from .optout import EXTRA_OPTOUT_NOTICE
from .pricing import PriceEntry, PriceList
from .senders import SenderState

__all__ = [
    "MAX_RESELLER_DEPTH",
    "Accept",
    "AcceptanceContext",
    "Decision",
    "Duplicate",
    "Refuse",
    "Resale",
    "Upstream",
    "decide",
]

#: How many reseller levels may sit above a sending account (a sub-account of a sub-account
#: of a sub-account of a top reseller). Account creation refuses deeper trees.
MAX_RESELLER_DEPTH = 3


@dataclass(frozen=True, slots=True)
class Resale:
    """One reseller level's part of an accepted message, per part."""

    account_id: int
    price: Money  # what this reseller pays, at its own tariff
    income: Money  # what the level below pays it (the level below's price)


@dataclass(frozen=True, slots=True)
class Accept:
    price: Money  # per part
    cost: Money  # price * parts, debited now
    area: str
    resale: tuple[Resale, ...] = ()  # reseller levels, nearest first


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The account already sent a message with this ``client_id_sms``: answer its id, send
    nothing."""

    client_id_sms: str


@dataclass(frozen=True, slots=True)
class Refuse:
    error: RecipientError


Decision = Accept | Duplicate | Refuse


@dataclass(frozen=True, slots=True)
class Upstream:
    """A reseller above the sending account: its tariff, its balance when loaded, its lock."""

    account_id: int
    prices: PriceList
    balance: Money
    locked: bool = False


@dataclass(frozen=True, slots=True)
class AcceptanceContext:
    account_id: int
    locked: bool
    any_sender: bool
    balance: Money
    prices: PriceList
    senders: Mapping[str, SenderState]
    stopped: frozenset[str]
    known_client_ids: frozenset[str]
    upstream: tuple[Upstream, ...] = ()


#: one immutable refusal per error: a bulk request refused for one reason allocates nothing
_REFUSE = {e: Refuse(e) for e in RecipientError}


def _sender_error(ctx: AcceptanceContext, sender: str) -> RecipientError | None:
    if ctx.any_sender:
        return None
    state = ctx.senders.get(sender)
    if state is None:
        return RecipientError.NO_SUCH_SENDER
    if state is not SenderState.COMPLETED:
        return RecipientError.SENDER_NOT_MODERATED
    return None


def decide(
    ctx: AcceptanceContext,
    items: Sequence[NewMessage],
    wallet: dict[int, int] | None = None,
) -> tuple[list[Decision], AcceptanceContext]:
    """Decide each item in order; return the decisions and the context after them.

    Per item, in this order: a ``client_id_sms`` already used (duplicate), a locked account
    (or reseller above it), the stop list (not for the confirmation of an opt-out,
    ``domain.optout``), the sender, the destination's price (at every level),
    the money left (at every level). The balances are carried from one item to the next (in
    integer micros) in ``wallet`` (account id -> micros; filled from the context for accounts
    it lacks, updated in place: pass one wallet for all the contexts of a batch, since
    sub-accounts share their resellers). Equal (prices, parts) share one :class:`Accept`
    (immutable), so a bulk request costs one lookup per recipient and level.
    """
    if wallet is None:
        wallet = {}
    own = ctx.account_id
    wallet.setdefault(own, ctx.balance.micros)
    for up in ctx.upstream:
        wallet.setdefault(up.account_id, up.balance.micros)
    locked = ctx.locked or any(up.locked for up in ctx.upstream)
    known = set(ctx.known_client_ids)
    out: list[Decision] = []
    append = out.append
    accepts: dict[tuple[object, ...], Accept] = {}  # (prefixes, channel, parts) -> decision
    senders: dict[str, Refuse | None] = {}
    lookup = ctx.prices.lookup
    upstream = ctx.upstream
    stopped = ctx.stopped
    for item in items:
        if item.account_id != own:
            raise ValueError("item belongs to another account")
        client_id = item.client_id_sms
        if client_id is not None and client_id in known:
            append(Duplicate(client_id))
            continue
        if locked:
            append(_REFUSE[RecipientError.ACCOUNT_LOCKED])
            continue
        if item.phone in stopped and EXTRA_OPTOUT_NOTICE not in item.extra:
            append(_REFUSE[RecipientError.STOP_LIST])
            continue
        sender = item.sender
        if sender in senders:
            refusal = senders[sender]
        else:
            error = _sender_error(ctx, sender)
            refusal = senders[sender] = None if error is None else _REFUSE[error]
        if refusal is not None:
            append(refusal)
            continue
        entry = lookup(item.phone, item.channel)
        if entry is None:
            append(_REFUSE[RecipientError.DESTINATION_CLOSED])
            continue
        if upstream:
            accept = _accept_with_resale(ctx, item, entry, accepts)
            if accept is None:
                append(_REFUSE[RecipientError.DESTINATION_CLOSED])
                continue
        else:
            key = (entry.prefix, item.channel, item.parts)
            accept = accepts.get(key)
            if accept is None:
                cost = entry.price * item.parts
                accept = accepts[key] = Accept(price=entry.price, cost=cost, area=entry.area)
        if not _affordable(accept, item.parts, own, wallet):
            append(_REFUSE[RecipientError.OUT_OF_MONEY])
            continue
        wallet[own] -= accept.cost.micros
        for level in accept.resale:
            wallet[level.account_id] += (level.income.micros - level.price.micros) * item.parts
        if client_id is not None:
            known.add(client_id)
        append(accept)
    return out, replace(ctx, balance=Money(wallet[own]), known_client_ids=frozenset(known))


def _accept_with_resale(
    ctx: AcceptanceContext,
    item: NewMessage,
    entry: PriceEntry,
    accepts: dict[tuple[object, ...], Accept],
) -> Accept | None:
    """The decision for a sub-account's item: its own price and every reseller level's; None
    if a reseller's tariff has no price for the destination."""
    entries = [entry]
    for up in ctx.upstream:
        found = up.prices.lookup(item.phone, item.channel)
        if found is None:
            return None
        entries.append(found)
    key = (tuple(e.prefix for e in entries), item.channel, item.parts)
    accept = accepts.get(key)
    if accept is None:
        resale = tuple(
            Resale(account_id=up.account_id, price=entries[n + 1].price, income=entries[n].price)
            for n, up in enumerate(ctx.upstream)
        )
        accept = accepts[key] = Accept(
            price=entry.price, cost=entry.price * item.parts, area=entry.area, resale=resale
        )
    return accept


def _affordable(accept: Accept, parts: int, own: int, wallet: dict[int, int]) -> bool:
    """Whether every level stays at or above zero after this message."""
    if accept.cost.micros > wallet[own]:
        return False
    for level in accept.resale:
        change = (level.income.micros - level.price.micros) * parts
        if wallet[level.account_id] + change < 0:
            return False
    return True
