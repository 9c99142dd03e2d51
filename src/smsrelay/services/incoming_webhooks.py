"""Incoming SMS pushed to clients (docs/webhooks.md, "Incoming SMS").

An account may set an incoming-SMS webhook beside its status webhook: every MO routed to it is
POSTed in the shape X7 answers for one message (JSON objects or ``<sms>`` elements), signed,
retried and acknowledged by ``id_sms`` exactly like status pushes. The use cases are the status
webhooks' own (:class:`WebhookService` over the incoming settings store); the pusher is the
same :class:`smsrelay.delivery.webhooks.WebhookPusher` over the incoming outbox, rendering
:class:`IncomingPushItem` batches. X7 polling is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from .webhooks import PushItem

__all__ = ["IncomingPushItem"]


@dataclass(frozen=True, slots=True)
class IncomingPushItem(PushItem):
    """One MO to push; ``message_id`` is its X7 ``id_sms``, ``at`` when it was received."""

    originator: str = ""
    prefix: str = ""
    phone: str = ""
    text: str = ""
