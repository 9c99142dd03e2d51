"""Incoming (mobile-originated) SMS: routing to accounts, durable batched storage, X7 reads.

Routing (:func:`route`, pure): an MO sent to a *shared* number belongs to the account whose
keyword is the message's leading word (case-insensitive; the word ends at whitespace or at one
of ``, . : ; ! ?``); otherwise to the account the number is *dedicated* to (keyword ``""``);
otherwise nobody: it is stored unrouted (``account_id`` None) and logged, never dropped.

Storage (:class:`InboundService`): the engine hands MOs over synchronously
(:meth:`InboundService.receive`); a background flusher writes everything waiting in one
transaction (routing inside it, so numbers added by another process count at once). A failed
write is retried with the same messages; the buffer is bounded (``max_buffer``) and what would
overflow it is logged with its count, never discarded quietly. An X7 read first waits (at most
``read_wait`` seconds) for the MOs this process already acknowledged to be written, so an MO
the carrier delivered before the request is in the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

import structlog

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.messages import is_ascii_digits, normalize_phone
from .localtime import from_local, to_local

__all__ = [
    "MAX_INCOMING_ROWS",
    "MO_REPEAT_WINDOW",
    "InboundNumber",
    "InboundService",
    "InboundStore",
    "IncomingView",
    "MoReceived",
    "NumberError",
    "StoredMo",
    "check_keyword",
    "check_number",
    "leading_keyword",
    "repeat_identity",
    "route",
]

log = structlog.get_logger("smsrelay.inbound")

#: the most messages one X7 answer lists (oldest first; the client asks again from the last one)
MAX_INCOMING_ROWS: Final = 10_000
MAX_KEYWORD_CHARS: Final = 32
MAX_BATCH: Final = 1000  # MOs written by one transaction
_LEADING_WORD = re.compile(r"\s*([^\s,.:;!?]+)")
#: An MO identical to one stored shortly before (same connector, sender, number and text) is
#: taken for the carrier delivering the same MO again (SMPP 3.4's deliver_sm gives an MO no id
#: of its own): stored too, but marked ``repeat_of`` the first, so it gets no second auto-reply.
#: Identical MOs received less than this apart are always recognised; up to twice this apart
#: when they fall in neighbouring slots of this length (``repeat_identity``).
MO_REPEAT_WINDOW: Final = timedelta(minutes=5)


class NumberError(ValueError):
    """An incoming number or keyword cannot be registered (one clear line for the CLI)."""


@dataclass(frozen=True, slots=True)
class InboundNumber:
    account_id: int
    number: str  # digits: an international number or a short code
    keyword: str = ""  # "" = dedicated number; else upper-cased leading keyword


@dataclass(frozen=True, slots=True)
class MoReceived:
    """An MO as the carrier delivered it."""

    originator: str
    phone: str  # the number it was sent to
    text: str
    received_at: datetime  # UTC
    connector: str = ""


@dataclass(frozen=True, slots=True)
class StoredMo:
    id: int
    account_id: int | None
    originator: str
    phone: str
    prefix: str
    text: str
    received_at: datetime  # UTC
    repeat_of: int | None = None  # the carrier delivered this MO again: the first one's id


@dataclass(frozen=True, slots=True)
class IncomingView:
    """One ``<sms>`` of an X7 answer (``date_receive`` in the account's local time)."""

    id_sms: int
    date_receive: datetime
    originator: str
    prefix: str
    phone: str
    text: str


class InboundStore(Protocol):
    async def add_number(self, number: InboundNumber, now: datetime) -> None:
        """Raises ``NumberError`` when the (number, keyword) pair is already taken."""
        ...

    async def numbers(self, account_id: int | None = None) -> list[InboundNumber]: ...

    async def remove_number(self, number: InboundNumber) -> bool: ...

    async def save(self, items: Sequence[MoReceived]) -> list[StoredMo]:
        """Route (by :func:`route`, on the numbers as of this transaction) and store."""
        ...

    async def incoming(
        self, account_id: int, since: datetime, before: datetime | None, limit: int
    ) -> list[StoredMo]:
        """The account's MOs with ``since <= received_at < before``, oldest first."""
        ...


def repeat_identity(
    mo: MoReceived, window: timedelta = MO_REPEAT_WINDOW
) -> tuple[str, tuple[int, int]]:
    """The MO's identity (a digest of connector, sender, number and text) and the two time
    slots it claims: its own and the next. Two identical MOs whose slots overlap are one MO
    delivered twice; the store keeps the claims unique (``inbound_repeats``)."""
    fields = (mo.connector, mo.originator, mo.phone, mo.text)
    identity = hashlib.sha256("\x00".join(fields).encode()).hexdigest()
    slot = int(mo.received_at.timestamp() // window.total_seconds())
    return identity, (slot, slot + 1)


def leading_keyword(text: str) -> str:
    """The message's first word, upper-cased ("" for an empty text)."""
    match = _LEADING_WORD.match(text)
    return match.group(1).upper() if match else ""


def route(numbers: Sequence[InboundNumber], phone: str, text: str) -> tuple[int | None, str]:
    """(account id or None, prefix) for an MO sent to ``phone``."""
    word = leading_keyword(text)
    dedicated: int | None = None
    for n in numbers:
        if n.number != phone:
            continue
        if n.keyword and n.keyword == word:
            return n.account_id, n.keyword
        if not n.keyword:
            dedicated = n.account_id
    return dedicated, ""


def _masked_phone(phone: str) -> str:
    """``79001234567`` -> ``7900*****67``: enough to recognise, not to harvest (house style)."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:4] + "*" * (len(phone) - 6) + phone[-2:]


def check_number(raw: str) -> str:
    number = normalize_phone(raw)
    if not is_ascii_digits(number) or not 2 <= len(number) <= 15:
        raise NumberError(f"not a phone number or short code: {raw!r}")
    return number


def check_keyword(raw: str | None) -> str:
    keyword = (raw or "").strip()
    if not keyword:
        return ""
    if len(keyword) > MAX_KEYWORD_CHARS or leading_keyword(keyword) != keyword.upper():
        raise NumberError(f"a keyword is one word of at most {MAX_KEYWORD_CHARS} characters")
    return keyword.upper()


class InboundService:
    """Receives MOs from the engine, stores them in batches, answers X7 for an account."""

    def __init__(
        self,
        store: InboundStore,
        clock: Clock,
        *,
        max_buffer: int = 100_000,
        retry_delay: float = 1.0,
        read_wait: float = 2.0,
        on_stored: Callable[[Sequence[StoredMo]], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._on_stored = on_stored  # e.g. opt-out by reply (services.optout)
        self._clock = clock
        self._max_buffer = max_buffer
        self._retry_delay = retry_delay
        self._read_wait = read_wait
        self._buffer: list[MoReceived] = []
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._stopping = False
        self.stats = {"received": 0, "stored": 0, "unrouted": 0, "overflowed": 0, "failures": 0}

    # --- from the engine ---------------------------------------------------------------

    def receive(
        self, originator: str, phone: str, text: str, at: datetime, connector: str = ""
    ) -> None:
        """Take one MO (synchronous: called from the SMPP connector's read loop)."""
        self.stats["received"] += 1
        if self._stopping:
            log.error("inbound_after_stop", connector=connector)  # kept: stop() reports it
        if len(self._buffer) >= self._max_buffer:
            self.stats["overflowed"] += 1
            log.error("inbound_buffer_full", connector=connector, waiting=len(self._buffer))
            return
        self._buffer.append(
            MoReceived(originator, normalize_phone(phone) or phone, text, at, connector)
        )
        self._idle.clear()
        self._ready.set()

    # --- worker ------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="inbound-flush")

    async def stop(self) -> None:
        """Write what is waiting (one last try), then stop."""
        self._stopping = True
        self._stop.set()
        self._ready.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._buffer:
            log.error("inbound_not_stored_at_stop", waiting=len(self._buffer))

    async def flushed(self) -> None:
        """Return once every MO received so far is stored (tests, orderly shutdown)."""
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._buffer:
                if await self._flush():
                    continue
                if self._stopping:
                    break  # the last try at stop failed: logged by stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self._retry_delay)
            if self._stopping:
                return

    async def _flush(self) -> bool:
        batch = self._buffer[:MAX_BATCH]
        try:
            stored = await self._store.save(batch)
        except Exception:
            self.stats["failures"] += 1
            log.exception("inbound_store_failed", waiting=len(batch))
            return False
        del self._buffer[: len(batch)]
        self.stats["stored"] += len(stored)
        if self._on_stored is not None:  # before _idle: an X7/X13 read after sees its effect
            try:
                await self._on_stored(stored)
            except Exception:
                log.exception("inbound_on_stored_failed", messages=len(stored))
        for mo in stored:
            if mo.account_id is None:
                self.stats["unrouted"] += 1
                log.warning("inbound_unrouted", id_sms=mo.id, phone=_masked_phone(mo.phone))
        if not self._buffer:
            self._idle.set()
        return True

    # --- X7 and administration ---------------------------------------------------------

    async def incoming(
        self, account: Account, start: datetime, end: datetime | None
    ) -> list[IncomingView]:
        """The account's MOs strictly between ``start`` and ``end`` (naive local times).

        Compared at whole seconds, as ``date_receive`` shows them: a message shown as
        ``12:55:55`` is not after ``start="12:55:55"`` (a client polling from the last time it
        saw gets no repeat) and is before ``end="12:55:56"``.
        """
        with contextlib.suppress(TimeoutError):  # MOs already acknowledged are visible
            await asyncio.wait_for(self.flushed(), self._read_wait)
        since = from_local(start.replace(microsecond=0), account) + timedelta(seconds=1)
        before = from_local(end.replace(microsecond=0), account) if end is not None else None
        rows = await self._store.incoming(account.id, since, before, MAX_INCOMING_ROWS)
        return [
            IncomingView(
                id_sms=r.id,
                date_receive=to_local(r.received_at, account),
                originator=r.originator,
                prefix=r.prefix,
                phone=r.phone,
                text=r.text,
            )
            for r in rows
        ]

    async def add_number(self, account_id: int, number: str, keyword: str | None) -> InboundNumber:
        entry = InboundNumber(account_id, check_number(number), check_keyword(keyword))
        await self._store.add_number(entry, self._clock.now())
        return entry

    async def numbers(self, account_id: int | None = None) -> list[InboundNumber]:
        return await self._store.numbers(account_id)

    async def remove_number(self, account_id: int, number: str, keyword: str | None) -> bool:
        entry = InboundNumber(account_id, check_number(number), check_keyword(keyword))
        return await self._store.remove_number(entry)
