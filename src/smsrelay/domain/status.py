"""Message and part status lifecycle, as transition tables.

A message (one recipient) moves through::

    scheduled -> queued -> submitting -> submitted -> delivered -> read
                   ^           |             |
                   +-----------+ (retry)     +-> undelivered | expired | partly_delivered
    (any non-final) -> expired ; submitting -> rejected (carrier refused at submit, refunded)
    scheduled | queued | submitting -> cancelled (by the account, or by the compliance check
    at delivery: ``domain.compliance``; refunded)

The wire word (spec §1.7) is derived by :func:`wire_word`; everything not final reads ``send``.
``python -m smsrelay.domain.status`` prints the diagram (Graphviz dot) from the table.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

__all__ = [
    "TRANSITIONS",
    "IllegalTransition",
    "MessageStatus",
    "PartState",
    "aggregate_parts",
    "check_transition",
    "wire_word",
]


class MessageStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    PARTLY_DELIVERED = "partly_delivered"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def is_pending(self) -> bool:
        return self not in _FINAL


_FINAL = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.READ,
        MessageStatus.UNDELIVERED,
        MessageStatus.EXPIRED,
        MessageStatus.PARTLY_DELIVERED,
        MessageStatus.REJECTED,
        MessageStatus.CANCELLED,
    }
)

S = MessageStatus
_RECEIPT_FINALS = frozenset({S.DELIVERED, S.UNDELIVERED, S.EXPIRED, S.PARTLY_DELIVERED})

#: state -> states it may move to. ``delivered -> read`` is Viber's read receipt.
TRANSITIONS: dict[MessageStatus, frozenset[MessageStatus]] = {
    S.SCHEDULED: frozenset({S.QUEUED, S.CANCELLED, S.EXPIRED}),
    S.QUEUED: frozenset({S.SUBMITTING, S.EXPIRED, S.CANCELLED}),
    # submitting -> cancelled: the claim's compliance check stopped it (domain.compliance)
    S.SUBMITTING: frozenset(
        {S.SUBMITTED, S.QUEUED, S.REJECTED, S.EXPIRED, S.CANCELLED} | _RECEIPT_FINALS
    ),
    S.SUBMITTED: _RECEIPT_FINALS | frozenset({S.SUBMITTED}),
    S.DELIVERED: frozenset({S.READ}),
    S.READ: frozenset(),
    S.UNDELIVERED: frozenset(),
    S.EXPIRED: frozenset(),
    S.PARTLY_DELIVERED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}


class IllegalTransition(ValueError):
    """A status change the lifecycle table does not allow."""

    def __init__(self, current: MessageStatus, target: MessageStatus) -> None:
        super().__init__(f"illegal message transition {current.value} -> {target.value}")
        self.current = current
        self.target = target


def check_transition(current: MessageStatus, target: MessageStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)


def can_transition(current: MessageStatus, target: MessageStatus) -> bool:
    return target in TRANSITIONS[current]


_WIRE = {
    S.DELIVERED: "deliver",
    S.READ: "read",
    S.UNDELIVERED: "not_deliver",
    S.REJECTED: "not_deliver",
    S.CANCELLED: "not_deliver",
    S.EXPIRED: "expired",
    S.PARTLY_DELIVERED: "partly_deliver",
}


def wire_word(status: MessageStatus) -> str:
    """The spec §1.7 status word for a status."""
    return _WIRE.get(status, "send")


class PartState(enum.StrEnum):
    """What the carrier said of one part (from submit_sm_resp and the delivery receipt)."""

    PENDING = "pending"  # accepted by the carrier, no final receipt yet
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self is not PartState.PENDING


# Worst first: the state a message takes when none of its parts was delivered.
_SEVERITY = (PartState.REJECTED, PartState.UNDELIVERED, PartState.EXPIRED)


def aggregate_parts(
    states: Iterable[PartState], total_parts: int, *, give_up: bool = False
) -> MessageStatus | None:
    """Derive a message's final status from its parts' states.

    Returns ``None`` while a final status cannot be decided yet. ``give_up`` (validity over)
    treats parts that never reported as never delivered.

    * all parts delivered -> ``DELIVERED``
    * some delivered, the rest failed or never reported -> ``PARTLY_DELIVERED``
    * none delivered -> the worst final state among them (``EXPIRED`` if none reported)
    """
    seen = list(states)
    finals = [s for s in seen if s.is_final]
    if len(finals) < total_parts and not give_up:
        return None
    delivered = sum(1 for s in finals if s is PartState.DELIVERED)
    if delivered >= total_parts:
        return MessageStatus.DELIVERED
    if delivered > 0:
        return MessageStatus.PARTLY_DELIVERED
    for worst in _SEVERITY:
        if worst in finals:
            return MessageStatus.UNDELIVERED if worst is PartState.REJECTED else _PART_TO_MSG[worst]
    return MessageStatus.EXPIRED


_PART_TO_MSG = {
    PartState.UNDELIVERED: MessageStatus.UNDELIVERED,
    PartState.EXPIRED: MessageStatus.EXPIRED,
}


def to_dot() -> str:
    lines = ["digraph message_status {"]
    for src, targets in TRANSITIONS.items():
        for dst in sorted(targets):
            lines.append(f'  "{src.value}" -> "{dst.value}";')
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(to_dot())
