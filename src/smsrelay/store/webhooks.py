"""Webhook settings and the durable status outbox (``WebhookStore`` and ``WebhookOutbox`` ports).

Outbox rows are written by the database trigger of migration ``0024`` in the same transaction
as the status change; they are claimed, grouped into POSTs and settled as every push outbox is
(``store/push_outbox.py``). A status push carries the message's id, the status it took and
when.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from ..domain.messages import Channel
from ..domain.status import MessageStatus
from ..services.webhooks import PendingPush, PushItem, WebhookConfig, WebhookFormat, XmlRoot
from .push_outbox import PushOutbox
from .schema import accounts, messages
from .schema_webhooks import webhook_attempts, webhook_outbox, webhooks

__all__ = ["SqlWebhookStore"]

o = webhook_outbox


class SqlWebhookStore(PushOutbox):
    """Status-webhook settings and outbox on SQLite or PostgreSQL."""

    settings_table = webhooks
    outbox = webhook_outbox
    attempts_table = webhook_attempts

    def _config(self, row: Any) -> WebhookConfig:
        return WebhookConfig(
            url=row.url,
            format=WebhookFormat(row.format),
            secret=row.secret,
            xml_root=XmlRoot(row.xml_root),
        )

    def _settings_values(self, config: WebhookConfig) -> dict[str, Any]:
        return {
            "url": config.url,
            "format": config.format.value,
            "secret": config.secret,
            "xml_root": config.xml_root.value,
        }

    def _pick(self, due: ColumnElement[bool]) -> Select[Any]:
        return (
            select(
                o.c.id,
                o.c.account_id,
                o.c.message_id,
                o.c.status,
                o.c.attempts,
                o.c.delivery_id,
                func.coalesce(o.c.status_at, messages.c.status_at).label("at"),
                messages.c.channel,
                accounts.c.tz_offset_hours,
                webhooks.c.url,
                webhooks.c.format,
                webhooks.c.secret,
                webhooks.c.xml_root,
            )
            .select_from(
                o.join(webhooks, webhooks.c.account_id == o.c.account_id)
                .join(messages, messages.c.id == o.c.message_id)
                .join(accounts, accounts.c.id == o.c.account_id)
            )
            .where(due)
        )

    def _item(self, row: Any) -> PushItem:
        return PushItem(
            int(row.id),
            int(row.message_id),
            MessageStatus(row.status),
            row.at,
            Channel(row.channel),
            int(row.attempts) + 1,
        )

    def _pending(self, row: Any) -> PendingPush:
        return PendingPush(
            int(row.message_id),
            MessageStatus(row.status),
            row.state,
            int(row.attempts),
            row.next_at,
            row.last_result,
        )
