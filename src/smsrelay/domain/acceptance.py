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
from .optout import EXTRA_OPTOUT_NOTICE
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
    """The account already sent a message with this ``client_id_sms``: answer its id, send
    nothing."""

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
    ctx: AcceptanceContext, items: Sequence[NewMessage]
) -> tuple[list[Decision], AcceptanceContext]:
    """Decide each item in order; return the decisions and the context after them.

    Per item, in this order: a ``client_id_sms`` already used (duplicate), a locked account,
    the stop list (not for the confirmation of an opt-out, ``domain.optout``), the sender,
    the destination's price, the money left. The balance is carried
    from one item to the next (in integer micros); equal (price, parts) pairs share one
    :class:`Accept` (immutable), so a bulk request costs one lookup per recipient.
    """
    balance = ctx.balance.micros
    known = set(ctx.known_client_ids)
    out: list[Decision] = []
    append = out.append
    accepts: dict[tuple[str, str, int], Accept] = {}  # (prefix, channel, parts) -> decision
    senders: dict[str, Refuse | None] = {}
    lookup = ctx.prices.lookup
    stopped = ctx.stopped
    for item in items:
        if item.account_id != ctx.account_id:
            raise ValueError("item belongs to another account")
        client_id = item.client_id_sms
        if client_id is not None and client_id in known:
            append(Duplicate(client_id))
            continue
        if ctx.locked:
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
        key = (entry.prefix, item.channel, item.parts)
        accept = accepts.get(key)
        if accept is None:
            cost = entry.price * item.parts
            accept = accepts[key] = Accept(price=entry.price, cost=cost, area=entry.area)
        if accept.cost.micros > balance:
            append(_REFUSE[RecipientError.OUT_OF_MONEY])
            continue
        balance -= accept.cost.micros
        if client_id is not None:
            known.add(client_id)
        append(accept)
    return out, replace(ctx, balance=Money(balance), known_client_ids=frozenset(known))
