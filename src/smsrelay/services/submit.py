"""Use case: accept messages for sending.

Per recipient, in order: stateless checks here (phone, sender form, text, part count), then
the stateful decision (locked, stop list, sender moderation, price, money, idempotency) inside
the group-committed storing transaction. Each recipient gets one :class:`SendResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.errors import RecipientError
from ..domain.messages import (
    VCARD_FIELDS,
    Channel,
    MessageKind,
    NewMessage,
    check_phone,
    normalize_phone,
)
from ..domain.senders import check_sender_format
from ..logs import trail_accepted
from ..text.translit import transliterate
from .batching import GroupCommitter
from .cascade import check_viber_item, viber_leg_fields
from .commands import SendItem, SendRecipient, SendResult
from .localtime import from_local
from .payload import encoded_parts
from .ports import Accepted, AcceptRequest, AcceptResult, Handoff, MessageStore

__all__ = ["SubmitService"]


class SubmitService:
    def __init__(
        self,
        store: MessageStore,
        clock: Clock,
        *,
        max_parts: int = 10,
        default_validity: timedelta = timedelta(hours=72),
        max_batch_messages: int = 5000,
        handoff: Handoff | None = None,
    ) -> None:
        """``handoff``: the local delivery engine, which takes due SMS straight from the
        accepting transaction (and wakes itself for what it could not take)."""
        self._store = store
        self._clock = clock
        self._max_parts = max_parts
        self._default_validity = default_validity
        self._handoff = handoff
        self._committer: GroupCommitter[AcceptRequest, list[AcceptResult]] = GroupCommitter(
            self._flush, max_batch=max_batch_messages, weight=lambda r: max(1, len(r.messages))
        )

    async def close(self) -> None:
        await self._committer.close()

    async def _flush(self, requests: Sequence[AcceptRequest]) -> list[list[AcceptResult]]:
        return await self._store.accept_batch(requests, self._clock.now(), self._handoff)

    async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]:
        now = self._clock.now()
        results: list[SendResult | None] = []
        to_store: list[NewMessage] = []
        slots: list[int] = []
        numbers: list[str | None] = []
        for item in items:
            item = _transliterated(item)
            item_error, parts = self._check_item(item)
            content = _content(item)  # the same for every recipient of the item
            for rcpt in item.recipients:
                numbers.append(rcpt.number_sms)
                phone = normalize_phone(rcpt.phone)
                error = check_phone(phone) or item_error
                if error is not None:
                    results.append(SendResult(error=error, number_sms=rcpt.number_sms))
                    continue
                slots.append(len(results))
                results.append(None)
                to_store.append(self._new_message(account, item, content, rcpt, phone, parts, now))
        if to_store:
            stored = await self._committer.submit(AcceptRequest(account.id, to_store))
            for slot, msg, outcome in zip(slots, to_store, stored, strict=True):
                number = numbers[slot]
                if isinstance(outcome, Accepted):
                    trail_accepted(
                        outcome.id_sms, account.id, msg.phone, outcome.parts, msg.channel.value
                    )
                    results[slot] = SendResult(
                        id_sms=outcome.id_sms,
                        parts=outcome.parts,
                        price=outcome.price,
                        number_sms=number,
                    )
                else:
                    results[slot] = SendResult(
                        error=outcome.error, parts=msg.parts, number_sms=number
                    )
        return [r for r in results if r is not None]

    def _check_item(self, item: SendItem) -> tuple[RecipientError | None, int]:
        """Errors shared by every recipient of the item, and its part count."""
        if item.channel is Channel.VIBER:
            sender = item.extra.get("sender_viber") or item.sender
            body = item.extra.get("text_viber") or item.text
        else:
            sender, body = item.sender, item.text
        sender_error = check_sender_format(sender)
        if sender_error is not None:
            return sender_error, 0
        if item.kind is MessageKind.WAPPUSH and not item.extra.get("url"):
            return RecipientError.NO_LINK, 0
        if item.kind is MessageKind.VCARD:
            if not (item.extra.get("name") or "").strip() or not any(
                (item.extra.get(key) or "").strip() for key in VCARD_FIELDS
            ):
                return RecipientError.VCARD_INCOMPLETE, 0
            return self._parts_error(encoded_parts(item.kind, "", item.extra))
        if (body is None or body.strip() == "") and item.kind is not MessageKind.SILENCE:
            return RecipientError.NO_TEXT, 0
        if item.channel is Channel.VIBER:
            return check_viber_item(item, self._max_parts), 1
        return self._parts_error(encoded_parts(item.kind, body or "", item.extra))

    def _parts_error(self, parts: int) -> tuple[RecipientError | None, int]:
        """The parts of the ENCODED payload (``services.payload``: what is sent is charged)."""
        if parts > self._max_parts:
            return RecipientError.TOO_MANY_PARTS, parts
        return None, parts

    def _new_message(
        self,
        account: Account,
        item: SendItem,
        content: tuple[str, str, dict[str, str]],
        rcpt: SendRecipient,
        phone: str,
        parts: int,
        now: datetime,
    ) -> NewMessage:
        time_send = from_local(rcpt.time_send, account) if rcpt.time_send else None
        if time_send is not None and time_send <= now:
            time_send = None
        valid_until = (
            from_local(rcpt.validity_period, account) if rcpt.validity_period else None
        ) or (time_send or now) + self._default_validity
        sender, body, extra = content
        if item.channel is Channel.VIBER:
            viber_until = (
                from_local(rcpt.validity_period_viber, account)
                if rcpt.validity_period_viber
                else None
            )
            valid_until, extra = viber_leg_fields(item, time_send or now, valid_until, viber_until)
        return NewMessage(
            account_id=account.id,
            phone=phone,
            sender=sender,
            text=body,
            parts=parts,
            channel=item.channel,
            kind=item.kind,
            client_id_sms=rcpt.client_id_sms or None,
            time_send=time_send,
            valid_until=valid_until,
            extra=extra,
        )


def _transliterated(item: SendItem) -> SendItem:
    """With ``translite=1`` ([WL] ``message/translite``) the SMS text is spelt in Latin
    letters first (``text/translit.py``), so its part count, price and bytes are GSM 7-bit."""
    if item.text and item.channel is Channel.SMS and item.extra.get("translite") in _YES:
        return replace(item, text=transliterate(item.text))
    return item


_YES = frozenset({"1", "true", "yes"})


def _content(item: SendItem) -> tuple[str, str, dict[str, str]]:
    """(sender, text, extra) of every message the item makes: Viber's own sender and text
    where given. The extra dict is shared by the item's messages and never changed."""
    if item.channel is Channel.VIBER:
        sender = item.extra.get("sender_viber") or item.sender or ""
        body = item.extra.get("text_viber") or item.text or ""
    else:
        sender, body = item.sender or "", item.text or ""
    return sender, body, dict(item.extra)
