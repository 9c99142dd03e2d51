"""Ports: the small interfaces the use cases need from storage.

Implemented by ``smsrelay.store`` (SQLAlchemy Core, SQLite and PostgreSQL). Every method that
depends on time takes ``now`` (UTC, aware) so callers own the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from ..domain.accounts import Account, Lang
from ..domain.errors import RecipientError
from ..domain.messages import Channel, NewMessage, OutboundMessage
from ..domain.money import Money
from ..domain.pricing import PriceEntry, PriceList
from ..domain.senders import Sender, SenderState
from ..domain.status import MessageStatus, PartState

__all__ = [
    "AcceptRequest",
    "AcceptResult",
    "Accepted",
    "AccountRecord",
    "AccountStore",
    "Claimed",
    "DeliveryQueue",
    "Handoff",
    "MessageQueries",
    "MessageStore",
    "MessageView",
    "PartAccepted",
    "ReceiptRecord",
    "ReceiptsApplied",
    "Refused",
    "Released",
    "StatusChange",
    "SubmitRecord",
]


# --- accounts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountRecord:
    account: Account
    password_hash: str
    token: str | None


class AccountStore(Protocol):
    async def find_by_login(self, login: str) -> AccountRecord | None: ...
    async def find_by_token(self, token: str) -> AccountRecord | None: ...
    async def get(self, account_id: int) -> Account | None: ...

    async def create(
        self,
        *,
        login: str,
        password_hash: str,
        token: str | None,
        balance: Money,
        lang: Lang,
        any_sender: bool,
        parent_id: int | None,
        now: datetime,
    ) -> Account:
        """Raises ``LookupError`` if the login (or token) is taken."""
        ...

    async def credit(self, account_id: int, amount: Money, kind: str, now: datetime) -> int:
        """Add (or with a negative amount remove) money; returns the ledger transaction id."""
        ...

    async def set_locked(self, account_id: int, locked: bool) -> None: ...
    async def set_any_sender(self, account_id: int, any_sender: bool) -> None: ...
    async def set_lang(self, account_id: int, lang: Lang) -> None: ...

    async def price_list(self) -> PriceList: ...
    async def set_price(self, entry: PriceEntry) -> None:
        """Insert or replace the price for (prefix, channel)."""
        ...

    async def senders(self, account_id: int) -> list[Sender]: ...
    async def set_sender(self, account_id: int, sender: Sender) -> None:
        """Insert or replace the sender name's state for the account."""
        ...

    async def stop_list(self, account_id: int) -> set[str]: ...
    async def add_stop(self, account_id: int, phone: str, now: datetime) -> bool: ...


class AccountPrices(Protocol):
    async def price_list(self, account_id: int) -> PriceList:
        """The account's own price list: its tariff (or the default) with its overrides."""
        ...


# --- accepting messages (the group-committed write) -----------------------------------------


@dataclass(frozen=True, slots=True)
class AcceptRequest:
    """One client request's recipients for one account, already validated and part-counted."""

    account_id: int
    messages: Sequence[NewMessage]


@dataclass(frozen=True, slots=True)
class Accepted:
    id_sms: int
    parts: int
    price: Money  # per part
    duplicate: bool = False  # an earlier message with the same client_id_sms


@dataclass(frozen=True, slots=True)
class Refused:
    error: RecipientError


AcceptResult = Accepted | Refused


class Handoff(Protocol):
    """A delivery engine in this process taking messages straight from the accepting
    transaction (claimed at acceptance: no claim transaction, no wait for the next claim).

    ``reserve`` happens inside the transaction and grants up to ``wanted`` slots; after the
    commit, ``take`` receives the messages stored as claimed (``submitting`` with a lease, as
    a claim would leave them), the number granted, and how many due messages were stored
    ``queued`` for want of slots (to be claimed the usual way); if the transaction failed,
    ``release`` gives the slots back. A crash in between loses nothing: the lease ends and
    any worker's claim picks the messages up."""

    @property
    def lease(self) -> timedelta: ...

    def reserve(self, wanted: int) -> int: ...

    def routes_here(self) -> Callable[[int, str], bool] | None:
        """Which due messages (account id, phone) this engine may take: ``None`` for all;
        with several nodes, only those routed to a connector this node runs."""
        ...

    def take(self, messages: Sequence[OutboundMessage], granted: int, queued: int) -> None: ...

    def release(self, granted: int) -> None: ...


class MessageStore(Protocol):
    async def accept_batch(
        self,
        requests: Sequence[AcceptRequest],
        now: datetime,
        handoff: Handoff | None = None,
    ) -> list[list[AcceptResult]]:
        """Decide and durably store many requests in ONE transaction (group commit).

        For each account involved: lock its row, load balance/locked/any_sender, its senders,
        which of the batch's phones are on its stop list, which of the batch's client_id_sms it
        already used; run ``domain.acceptance.decide`` per request in order; insert accepted
        messages (status ``scheduled`` if ``time_send`` is in the future, else ``queued``),
        debit balances, write ledger rows. Returns, per request, one result per message in
        order. A duplicate answers the earlier message's id (also within the same batch).

        With a ``handoff``, SMS messages due now are stored already claimed (as many as it
        grants) and given to it after the commit.
        """
        ...


# --- delivery queue --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartAccepted:
    part_no: int  # 1-based
    carrier_id: str


@dataclass(frozen=True, slots=True)
class SubmitRecord:
    """What happened when the engine tried to submit one claimed message.

    * all parts accepted: ``accepted`` has every part, ``rejected_parts == 0``, ``retry_at`` None
    * carrier refused (permanent): ``rejected_parts`` > 0 -> message ``rejected``, those parts
      refunded (accepted ones stay charged and tracked)
    * temporary failure before any part was accepted: ``retry_at`` set -> back to ``queued``
    """

    message_id: int
    connector: str
    accepted: tuple[PartAccepted, ...] = ()
    rejected_parts: int = 0
    retry_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    connector: str
    carrier_ids: tuple[str, ...]  # candidate spellings of the carrier's id, preferred first
    state: PartState
    at: datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    message_id: int
    account_id: int
    status: MessageStatus
    at: datetime


class Claimed(list[OutboundMessage]):
    """The messages a claim took for delivery (a list), and in ``refused`` the status changes
    of those it ended instead: they failed the compliance check at delivery
    (``domain.compliance``) and were cancelled and refunded in the claiming transaction."""

    __slots__ = ("refused",)

    def __init__(
        self, messages: Sequence[OutboundMessage] = (), refused: Sequence[StatusChange] = ()
    ) -> None:
        super().__init__(messages)
        self.refused: tuple[StatusChange, ...] = tuple(refused)


class Released(int):
    """How many scheduled messages were released to the queue; ``refused``: the status
    changes of those the compliance check ended at release instead."""

    refused: tuple[StatusChange, ...]

    def __new__(cls, released: int, refused: Sequence[StatusChange] = ()) -> Released:
        made = super().__new__(cls, released)
        made.refused = tuple(refused)
        return made


@dataclass(frozen=True, slots=True)
class ReceiptsApplied:
    changes: list[StatusChange] = field(default_factory=list)
    unmatched: list[ReceiptRecord] = field(default_factory=list)


class DeliveryQueue(Protocol):
    async def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        channel: Channel = Channel.SMS,
        *,
        only: Callable[[int, str], bool] | None = None,
    ) -> Claimed:
        """Claim due work by STATE, never by an id watermark.

        ``only`` (several nodes): claim only the due rows whose (account id, phone) it accepts;
        the others are left as they are for the node that runs their connector.

        Due = ``queued`` with ``due_at <= now``, or ``submitting`` whose lease ran out (a crashed
        worker's). Claimed rows become ``submitting`` with ``lease_until = now + lease`` and
        ``attempts + 1``. ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer.
        Each claimed message is checked again for compliance (account, STOP list, sender) by
        the same statement; one that fails is cancelled, refunded, and reported in
        ``Claimed.refused`` instead.
        """
        ...

    async def record_submits(
        self, records: Sequence[SubmitRecord], now: datetime
    ) -> list[StatusChange]:
        """Apply submit outcomes in one transaction; returns the status changes made."""
        ...

    async def apply_receipts(self, receipts: Sequence[ReceiptRecord]) -> ReceiptsApplied:
        """Match receipts to parts by (connector, carrier id); derive each message's status
        with ``domain.status.aggregate_parts``. Duplicate receipts are harmless."""
        ...

    async def release_scheduled(self, now: datetime, limit: int) -> Released:
        """``scheduled`` whose time has come -> ``queued``; those failing the compliance check
        -> ``cancelled`` and refunded (``Released.refused``)."""
        ...

    async def refusals(self, messages: Sequence[OutboundMessage]) -> dict[int, str]:
        """The compliance check alone (a read): message id -> ``DeliveryRefusal`` value for
        those that may not be sent now (a failover after an UNDELIV receipt asks it)."""
        ...

    async def note_refusal(self, message_id: int, reason: str, now: datetime) -> None:
        """Store why a message was stopped without cancelling it (its receipt stands)."""
        ...

    async def expire(self, now: datetime, limit: int) -> list[StatusChange]:
        """Messages past ``valid_until``: never submitted -> ``expired`` and refunded;
        submitted with parts still pending -> final by ``aggregate_parts(give_up=True)``."""
        ...


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    account_id: int
    status: MessageStatus
    status_at: datetime | None  # last change of status (None while pending)
    parts: int
    price: Money  # per part
    channel: Channel


class MessageQueries(Protocol):
    async def views(self, account_id: int, ids: Sequence[int]) -> dict[int, MessageView]:
        """Only the account's own messages; a foreign id is simply absent."""
        ...

    async def balance(self, account_id: int) -> Money: ...


@runtime_checkable
class LeaseRenewal(Protocol):
    """Keeps the leases of messages a live worker still holds (its heartbeat)."""

    async def renew_leases(self, message_ids: Sequence[int], until: datetime) -> int:
        """``lease_until = until`` for those still ``submitting``; how many were renewed."""
        ...


__all__ += ["LeaseRenewal", "SenderState"]  # re-exported for store implementers
_ = timedelta


# --- metrics (docs/operations.md) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BindStatus:
    """One carrier bind as the running process sees it (``smsrelay status``, ``/ready``)."""

    connector: str
    bind: int  # 0-based, within its connector
    state: str  # the link state: idle, connecting, binding, bound, backoff, unbinding, stopped
    bound_since: datetime | None
    window_in_use: int
    window: int
    submitted: int  # submit_sm sent since start (counter)
    receipts: int  # receipts received since start (counter)
    last_error: str = ""

    @property
    def bound(self) -> bool:
        return self.state == "bound"


class Metrics(Protocol):
    """What the use cases and adapters report for ``/metrics``. Implemented by
    ``smsrelay.telemetry`` (prometheus-client, the library's one home); :class:`NullMetrics`
    when metrics are off. Every method is cheap and never raises: label values are short
    names (connector, channel, status), never a phone number, text or token."""

    def accepted(self, channel: str, entry: str, n: int) -> None:
        """``n`` messages of ``channel`` accepted through ``entry`` (json, xml, get, smpp...)."""
        ...

    def finals(self, changes: Sequence[StatusChange]) -> None:
        """Status changes written: the final ones are counted by status."""
        ...

    def submitted(self, connector: str, result: str, parts: int, delay: float | None) -> None:
        """Parts submitted (``result``: accepted, rejected, retry); ``delay``: seconds from
        acceptance (or the message's due time) to its submit_sm, on the first attempt only."""
        ...

    def receipt(self, connector: str, stat: str, after: float | None) -> None:
        """A receipt (``stat``: the part state it reports); ``after``: seconds since the
        part's submit_sm when known (the same process submitted it)."""
        ...

    def links(self, binds: Sequence[BindStatus]) -> None:
        """The binds of this process now (sampled about once a second, and on changes)."""
        ...

    def event(self, name: str, labels: tuple[str, ...] = (), n: int = 1) -> None:
        """Rarer counters by name: ``http`` (dialect, outcome), ``receipt_query`` (connector,
        result) — see the implementation's table."""
        ...


class NullMetrics:
    """:class:`Metrics` that records nothing (metrics off, and unit tests)."""

    __slots__ = ()

    def accepted(self, channel: str, entry: str, n: int) -> None:
        pass

    def finals(self, changes: Sequence[StatusChange]) -> None:
        pass

    def submitted(self, connector: str, result: str, parts: int, delay: float | None) -> None:
        pass

    def receipt(self, connector: str, stat: str, after: float | None) -> None:
        pass

    def links(self, binds: Sequence[BindStatus]) -> None:
        pass

    def event(self, name: str, labels: tuple[str, ...] = (), n: int = 1) -> None:
        pass


__all__ += ["BindStatus", "Metrics", "NullMetrics"]
