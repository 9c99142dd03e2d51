"""Birthday greetings of subscriber bases (X10 ``on_birth``, ``time_birth``,
``local_time_birth``, ``day_before``, ``originator_birth``, greeting text), actually sent.

A pass (every few minutes in ``smsrelay serve``; ``run_once(now)`` in tests) looks at every
base with ``on_birth`` and every subscriber with a ``date_birth``: the greeting is due
``day_before`` days before the birthday at ``time_birth``, in the account's time, or in the
subscriber's own time (its number's time zone) with ``local_time_birth``. A greeting due within
the coming :data:`HORIZON` is sent now as a scheduled message for that instant (so X15 and the
history show it while it waits, and it is charged like any scheduled message); one whose
instant passed less than :data:`GRACE` ago (the platform was down) is sent at once.

Never twice, restart-safe: each greeting carries the ``client_id_sms``
``birthday:<base>:<phone>:<year>``, so the accept path's exactly-once rule stores and charges
it once however many passes (or processes) see it. The greeting text takes the campaign
placeholders (``{name}`` …); ``name_delivery`` is ``Birthday``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Protocol

import structlog

from ..clock import Clock
from ..domain.accounts import Account
from .campaigns import render_text
from .commands import SendItem, SendRecipient
from .facade import Platform
from .localtime import MOSCOW_UTC_OFFSET_HOURS, to_local

__all__ = ["GRACE", "HORIZON", "BirthdayBase", "BirthdayScheduler", "BirthdayStore"]

log = structlog.get_logger("smsrelay.birthdays")

#: Greetings due within this much time are stored (scheduled) now.
HORIZON: Final = timedelta(hours=24)
#: A greeting whose instant passed less than this long ago is still sent (at once).
GRACE: Final = timedelta(hours=6)
CAMPAIGN: Final = "Birthday"


@dataclass(frozen=True, slots=True)
class BirthdayBase:
    id: int
    account_id: int
    time_birth: str  # HH:MM
    local_time_birth: bool
    day_before: int
    originator: str
    greeting: str
    subscribers: tuple[Mapping[str, str], ...]  # X12 fields, date_birth set


class BirthdayStore(Protocol):
    async def birthday_bases(self) -> list[BirthdayBase]: ...


class AccountLookup(Protocol):
    async def get(self, account_id: int) -> Account | None: ...


def _birthday(born: date, year: int) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in a common year: the 28th
        return date(year, 2, 28)


def greeting_instant(
    born: date, year: int, at: time, day_before: int, utc_offset: timedelta
) -> datetime:
    """The UTC instant of the greeting for the birthday of ``year``."""
    day = _birthday(born, year) - timedelta(days=day_before)
    return (datetime.combine(day, at) - utc_offset).replace(tzinfo=UTC)


class BirthdayScheduler:
    def __init__(
        self,
        store: BirthdayStore,
        accounts: AccountLookup,
        platform: Platform,
        clock: Clock,
        zone_of: Callable[[str], timedelta | None] | None = None,
        interval: float = 300.0,
    ) -> None:
        """``zone_of(phone)``: the number's offset from Moscow (``local_time_birth``), or None
        when unknown (the account's time is used then)."""
        self._store = store
        self._accounts = accounts
        self._platform = platform
        self._clock = clock
        self._zone_of = zone_of
        self._interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="birthdays")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("birthday_pass_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)

    def _offset(self, account: Account, phone: str, local: bool) -> timedelta:
        if local and self._zone_of is not None:
            from_moscow = self._zone_of(phone)
            if from_moscow is not None:
                return timedelta(hours=MOSCOW_UTC_OFFSET_HOURS) + from_moscow
        return timedelta(hours=MOSCOW_UTC_OFFSET_HOURS + account.tz_offset_hours)

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass; how many greetings were handed to the send path (duplicates included)."""
        now = now or self._clock.now()
        handed = 0
        for base in await self._store.birthday_bases():
            account = await self._accounts.get(base.account_id)
            if account is None or account.locked:
                continue
            try:
                hh, mm = (int(x) for x in base.time_birth.split(":"))
                at = time(hh, mm)
            except ValueError:
                continue
            items = self._due(base, account, at, now)
            if items:
                await self._platform.send(account, items)
                handed += sum(len(i.recipients) for i in items)
        return handed

    def _due(
        self, base: BirthdayBase, account: Account, at: time, now: datetime
    ) -> Sequence[SendItem]:
        items: list[SendItem] = []
        for s in base.subscribers:
            try:
                born = date.fromisoformat(s["date_birth"])
            except (KeyError, ValueError):
                continue
            offset = self._offset(account, s["phone"], base.local_time_birth)
            for year in (now.year - 1, now.year, now.year + 1):
                instant = greeting_instant(born, year, at, base.day_before, offset)
                if not now - GRACE <= instant <= now + HORIZON:
                    continue
                later = instant > now
                items.append(
                    SendItem(
                        recipients=[
                            SendRecipient(
                                phone=s["phone"],
                                client_id_sms=f"birthday:{base.id}:{s['phone']}:{year}",
                                time_send=to_local(instant, account) if later else None,
                            )
                        ],
                        sender=base.originator,
                        text=render_text(base.greeting, s),
                        extra={"name_delivery": CAMPAIGN},
                    )
                )
        return items
