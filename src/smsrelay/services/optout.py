"""Opt-out by reply (issue 9): an incoming STOP puts the subscriber on the STOP list.

For every stored MO whose text is an opt-out word (``domain.optout``) the subscriber's number
is added to the STOP list (``services.stoplist``: X13 and X17 see it at once) of

* the account that owns the number the MO was sent to (its routing, ``services.inbound``), and
* where the MO answers a message — its destination is the sender of a message an account sent
  to that phone within ``answer_window`` — the account that sent the latest such message.

An opt-in word (``START``) removes it. The words are each account's own (per incoming number,
else the account's default, else the built-in defaults). An account may ask for a
confirmation SMS; it is sent through the normal acceptance path (charged like any message)
and is the one message the fresh STOP entry lets through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.messages import normalize_phone
from ..domain.optout import (
    DEFAULT_START_WORDS,
    DEFAULT_STOP_WORDS,
    EXTRA_OPTOUT_NOTICE,
    MAX_WORD_CHARS,
    OptAction,
    OptOutSettings,
    classify,
    word_key,
)
from .commands import SendItem, SendRecipient, SendResult
from .inbound import StoredMo
from .ports import AccountStore
from .stoplist import StopAction, StopListService

__all__ = ["OptOutService", "OptOutStore", "Sending", "resolve"]

log = structlog.get_logger("smsrelay.optout")

_DEFAULT_KEYS = {word_key(w) for w in (*DEFAULT_STOP_WORDS, *DEFAULT_START_WORDS)}

#: an MO answers a message sent at most this long before it
ANSWER_WINDOW = timedelta(days=30)


class OptOutStore(Protocol):
    async def settings(self, account_id: int) -> dict[str, OptOutSettings]:
        """The account's settings by incoming number (``""``: the account's default)."""
        ...

    async def set_settings(
        self, account_id: int, number: str, settings: OptOutSettings, now: datetime
    ) -> None: ...

    async def remove_settings(self, account_id: int, number: str) -> bool: ...

    async def all_words(self) -> set[str]:
        """Every configured word of every account."""
        ...

    async def last_sender(self, phone: str, sender: str, since: datetime) -> int | None:
        """The account of the latest message to ``phone`` from ``sender`` since ``since``."""
        ...


class Sending(Protocol):
    """The acceptance path (``services.platform.PlatformService.send``)."""

    async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]: ...


def resolve(rows: Mapping[str, OptOutSettings], number: str) -> OptOutSettings:
    """The settings of ``number``, else the account's default row, else the defaults."""
    return rows.get(number) or rows.get("") or OptOutSettings()


class OptOutService:
    def __init__(
        self,
        store: OptOutStore,
        stop_list: StopListService,
        accounts: AccountStore,
        clock: Clock,
        sending: Sending | None = None,
        *,
        answer_window: timedelta = ANSWER_WINDOW,
    ) -> None:
        self._store = store
        self._stop_list = stop_list
        self._accounts = accounts
        self._clock = clock
        self._sending = sending
        self._window = answer_window
        self.changed = asyncio.Event()  # set after each STOP list change (tests await it)
        self.stats = {"stopped": 0, "started": 0, "confirmations": 0, "failures": 0}

    def set_sending(self, sending: Sending) -> None:
        self._sending = sending

    async def handle(self, stored: Sequence[StoredMo]) -> set[int]:
        """Apply the opt-out words among freshly stored MOs (the inbound flusher calls it).
        An MO that is no account's word costs no lookup: the batch is first filtered against
        the default words and every configured one (one query per batch).

        Returns the ids of the MOs taken as opt-out/opt-in words (or that may be: those whose
        handling failed), which get no auto-reply (``services.autoreply``)."""
        short = [mo for mo in stored if len(mo.text.strip()) <= MAX_WORD_CHARS + 2]
        if not short:
            return set()
        try:
            known = {word_key(w) for w in await self._store.all_words()} | _DEFAULT_KEYS
        except Exception:
            self.stats["failures"] += 1
            log.exception("optout_words_failed", messages=len(short))
            return {mo.id for mo in short}
        handled: set[int] = set()
        for mo in short:
            if word_key(mo.text) not in known:
                continue
            try:
                if await self._one(mo):
                    handled.add(mo.id)
            except Exception:
                handled.add(mo.id)
                self.stats["failures"] += 1
                log.exception("optout_failed", mo_id=mo.id)
        return handled

    async def _one(self, mo: StoredMo) -> bool:
        subscriber = normalize_phone(mo.originator)
        targets: list[int] = [] if mo.account_id is None else [mo.account_id]
        since = self._clock.now() - self._window
        answered = await self._store.last_sender(subscriber, mo.phone, since)
        if answered is not None and answered not in targets:
            targets.append(answered)
        acted = False
        for account_id in targets:
            settings = resolve(await self._store.settings(account_id), mo.phone)
            action = classify(mo.text, settings)
            if action is None:
                continue
            account = await self._accounts.get(account_id)
            if account is None:
                continue
            acted = True
            change = StopAction.ADD if action is OptAction.STOP else StopAction.DELETE
            await self._stop_list.change(account, [(change, subscriber)])
            self.stats["stopped" if action is OptAction.STOP else "started"] += 1
            log.info("optout", account_id=account_id, action=action.value, mo_id=mo.id)
            self.changed.set()
            text = (
                settings.confirm_text if action is OptAction.STOP else settings.confirm_start_text
            )
            if text and self._sending is not None:
                await self._confirm(account, subscriber, settings.sender or mo.phone, text)
        return acted

    async def _confirm(self, account: Account, phone: str, sender: str, text: str) -> None:
        item = SendItem(
            recipients=[SendRecipient(phone=phone)],
            sender=sender,
            text=text,
            extra={EXTRA_OPTOUT_NOTICE: "1"},
        )
        assert self._sending is not None
        [result] = await self._sending.send(account, [item])
        if result.ok:
            self.stats["confirmations"] += 1
        else:
            log.warning("optout_confirmation_refused", account_id=account.id, error=result.error)

    # --- administration (the CLI) ----------------------------------------------------------

    async def settings(self, account_id: int) -> dict[str, OptOutSettings]:
        return await self._store.settings(account_id)

    async def configure(self, account_id: int, number: str, settings: OptOutSettings) -> None:
        await self._store.set_settings(account_id, number, settings, self._clock.now())

    async def reset(self, account_id: int, number: str) -> bool:
        return await self._store.remove_settings(account_id, number)
