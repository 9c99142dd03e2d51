"""Incoming-SMS webhook settings and outbox (``WebhookStore`` and ``WebhookOutbox`` ports).

The outbox rows are written by the trigger of migration ``0093`` in the transaction that
stores the MO; they are claimed, grouped per account into POSTs that keep their delivery id
across retries and settled from the client's acknowledgements as every push outbox is
(``store/push_outbox.py``). An incoming push carries the MO: who sent it, to which number,
its text and when it came.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select

from ..domain.messages import Channel
from ..domain.status import MessageStatus
from ..services.incoming_webhooks import IncomingPushItem
from ..services.webhooks import PendingPush, PushItem, WebhookConfig, WebhookFormat
from .push_outbox import PushOutbox
from .schema import accounts
from .schema_inbound import inbound_messages
from .schema_incoming_hooks import incoming_attempts, incoming_outbox, incoming_webhooks

__all__ = ["SqlIncomingHookStore"]

o = incoming_outbox
w = incoming_webhooks
m = inbound_messages


class SqlIncomingHookStore(PushOutbox):
    """Incoming-SMS webhook settings and outbox; the status pusher's ports, so
    ``WebhookService`` and the pusher run on it unchanged."""

    settings_table = incoming_webhooks
    outbox = incoming_outbox
    attempts_table = incoming_attempts

    def _config(self, row: Any) -> WebhookConfig:
        return WebhookConfig(url=row.url, format=WebhookFormat(row.format), secret=row.secret)

    def _settings_values(self, config: WebhookConfig) -> dict[str, Any]:
        return {"url": config.url, "format": config.format.value, "secret": config.secret}

    def _pick(self, due: ColumnElement[bool]) -> Select[Any]:
        return (
            select(
                o.c.id,
                o.c.account_id,
                o.c.inbound_id,
                o.c.attempts,
                o.c.delivery_id,
                m.c.received_at,
                m.c.originator,
                m.c.prefix,
                m.c.phone,
                m.c.text,
                accounts.c.tz_offset_hours,
                w.c.url,
                w.c.format,
                w.c.secret,
            )
            .select_from(
                o.join(w, w.c.account_id == o.c.account_id)
                .join(m, m.c.id == o.c.inbound_id)
                .join(accounts, accounts.c.id == o.c.account_id)
            )
            .where(due)
        )

    def _item(self, row: Any) -> PushItem:
        return IncomingPushItem(
            int(row.id),
            int(row.inbound_id),
            MessageStatus.DELIVERED,  # unused: an MO has no status
            row.received_at,
            Channel.SMS,
            int(row.attempts) + 1,
            originator=row.originator,
            prefix=row.prefix,
            phone=row.phone,
            text=row.text,
        )

    def _pending(self, row: Any) -> PendingPush:
        return PendingPush(
            int(row.inbound_id),
            MessageStatus.DELIVERED,  # an MO has no status
            row.state,
            int(row.attempts),
            row.next_at,
            row.last_result,
        )
