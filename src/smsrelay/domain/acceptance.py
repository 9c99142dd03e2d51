"""The money decision for a batch of recipients: pure, run inside the storing transaction.

The store loads an :class:`AcceptanceContext` for an account (balance locked for update,
approved senders, stopped numbers among the batch's phones, client ids already used), calls
:func:`decide` for each request in arrival order and persists what it returns. Because the
decision and the balance update happen in one transaction on locked rows, concurrent requests
can never overdraw an account, and a repeated ``client_id_sms`` is never charged twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .errors import RecipientError
from .messages import NewMessage
from .money import Money
from .pricing import PriceList
from .senders import SenderState

__all__ = ["Accept", "AcceptanceContext", "Decision", "Duplicate", "Refuse", "decide"]


@dataclass(frozen=True, slots=True)
class Accept:
    price: Money  # per part
    cost: Money  # price * parts, debited now
    area: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The account already sent a message with this ``client_id_sms``: answer its id, send nothing."""

    client_id_sms: str


@dataclass(frozen=True, slots=True)
class Refuse:
    error: RecipientError


Decision = Accept | Duplicate | Refuse


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
    ctx: AcceptanceContext, items: Sequence[NewMessage]
) -> tuple[list[Decision], AcceptanceContext]:
    """Decide each item in order; return the decisions and the context after them."""
    balance = ctx.balance
    known = set(ctx.known_client_ids)
    out: list[Decision] = []
    for item in items:
        if item.account_id != ctx.account_id:
            raise ValueError("item belongs to another account")
        if item.client_id_sms is not None and item.client_id_sms in known:
            out.append(Duplicate(item.client_id_sms))
            continue
        decision = _decide_one(ctx, item, balance)
        if isinstance(decision, Accept):
            balance = balance - decision.cost
            if item.client_id_sms is not None:
                known.add(item.client_id_sms)
        out.append(decision)
    return out, replace(ctx, balance=balance, known_client_ids=frozenset(known))


def _decide_one(ctx: AcceptanceContext, item: NewMessage, balance: Money) -> Decision:
    if ctx.locked:
        return Refuse(RecipientError.ACCOUNT_LOCKED)
    if item.phone in ctx.stopped:
        return Refuse(RecipientError.STOP_LIST)
    sender_error = _sender_error(ctx, item.sender)
    if sender_error is not None:
        return Refuse(sender_error)
    entry = ctx.prices.lookup(item.phone, item.channel)
    if entry is None:
        return Refuse(RecipientError.DESTINATION_CLOSED)
    cost = entry.price * item.parts
    if cost > balance:
        return Refuse(RecipientError.OUT_OF_MONEY)
    return Accept(price=entry.price, cost=cost, area=entry.area)
