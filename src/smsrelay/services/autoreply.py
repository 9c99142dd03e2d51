"""Auto-reply per incoming number and keyword (issue 13).

An incoming number (or a keyword on a shared number, ``services.inbound``) may carry a reply
text. Every MO it routes is answered with that text, sent to the MO's sender *from the
number*, through the normal acceptance path (``services.platform``: stop list, sender rules,
price, money), so it is charged to the owning account per part like any message.

* Exactly once per stored MO: the reply's ``client_id_sms`` is ``autoreply:<MO id>`` and the
  acceptance path refuses a second message with the same id for the account.
* Once per carrier MO: an MO the carrier delivered twice is stored twice, the second marked
  ``repeat_of`` the first by the store (a database key, ``store/mo_repeats.py``), and a repeat
  gets no auto-reply.
* Opt-out words win: an MO the opt-out handling acted on (``services.optout``) gets no
  auto-reply (the caller passes their ids).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Final, Protocol

import structlog

from ..domain.messages import normalize_phone
from .commands import SendItem, SendRecipient
from .inbound import NumberError, StoredMo, check_keyword, check_number
from .optout import Sending
from .ports import AccountStore

__all__ = ["MAX_REPLY_CHARS", "AutoReplyService", "AutoReplyStore", "client_id_of"]

log = structlog.get_logger("smsrelay.autoreply")

#: an auto-reply is at most this long (a few SMS parts; the acceptance path bounds it too)
MAX_REPLY_CHARS: Final = 1000


def client_id_of(mo_id: int) -> str:
    return f"autoreply:{mo_id}"


class AutoReplyStore(Protocol):
    async def replies(self, pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The auto-reply texts of these (number, keyword) pairs (those that have one)."""
        ...

    async def set_reply(self, account_id: int, number: str, keyword: str, text: str | None) -> bool:
        """Set (or clear, ``None``) the reply of the account's number/keyword; False: none."""
        ...


class AutoReplyService:
    def __init__(
        self, store: AutoReplyStore, accounts: AccountStore, sending: Sending | None = None
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._sending = sending
        self.stats = {"sent": 0, "refused": 0, "failures": 0}

    async def set_reply(
        self, account_id: int, number: str, keyword: str | None, text: str | None
    ) -> None:
        reply = (text or "").strip() or None
        if reply is not None and len(reply) > MAX_REPLY_CHARS:
            raise NumberError(f"an auto-reply is at most {MAX_REPLY_CHARS} characters")
        found = await self._store.set_reply(
            account_id, check_number(number), check_keyword(keyword), reply
        )
        if not found:
            what = f"{number} {keyword or ''}".rstrip()
            raise NumberError(f"no such number/keyword of the account: {what}")

    async def handle(self, stored: Sequence[StoredMo], skip: Collection[int] = ()) -> None:
        """Answer the routed MOs (not those in ``skip``: opt-out words; not the carrier's repeats
        of an MO) whose number/keyword has an auto-reply. One query per batch; nothing more
        for MOs without one."""
        routed = [
            mo
            for mo in stored
            if mo.account_id is not None and mo.id not in skip and mo.repeat_of is None
        ]
        if not routed or self._sending is None:
            return
        try:
            texts = await self._store.replies({(mo.phone, mo.prefix) for mo in routed})
        except Exception:
            self.stats["failures"] += 1
            log.exception("autoreply_lookup_failed", messages=len(routed))
            return
        for mo in routed:
            text = texts.get((mo.phone, mo.prefix))
            if text is None:
                continue
            try:
                await self._reply(mo, text)
            except Exception:
                self.stats["failures"] += 1
                log.exception("autoreply_failed", mo_id=mo.id)

    async def _reply(self, mo: StoredMo, text: str) -> None:
        assert mo.account_id is not None and self._sending is not None
        account = await self._accounts.get(mo.account_id)
        if account is None:
            return
        item = SendItem(
            recipients=[
                SendRecipient(
                    phone=normalize_phone(mo.originator) or mo.originator,
                    client_id_sms=client_id_of(mo.id),
                )
            ],
            sender=mo.phone,
            text=text,
        )
        [result] = await self._sending.send(account, [item])
        if result.ok:
            self.stats["sent"] += 1
            log.info("autoreply_sent", account_id=account.id, mo_id=mo.id)
        else:
            self.stats["refused"] += 1
            log.warning("autoreply_refused", account_id=account.id, error=result.error)
