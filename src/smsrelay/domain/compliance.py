"""Compliance checked again when a message leaves (issue 9): pure, run on what the claim read.

A message was checked when it was accepted (``domain.acceptance``); the account, its STOP list
and its senders may change before it is sent (a scheduled message, a retry, a failover). The
delivery queue reads, with the claim itself, the four facts below for every claimed message and
asks :func:`delivery_refusal` whether it may still go. A refused message is never submitted: it
ends ``cancelled`` (wire word ``not_deliver``), refunded, with the reason stored.
"""

from __future__ import annotations

import enum

from .senders import SenderState

__all__ = ["DeliveryRefusal", "delivery_refusal"]


class DeliveryRefusal(enum.StrEnum):
    """Why a message was stopped at delivery (stored with it; the order is the check order)."""

    ACCOUNT_LOCKED = "account_locked"  # locked, or deleted, after acceptance
    STOP_LIST = "stop_list"  # the number joined the account's STOP list
    SENDER_REJECTED = "sender_rejected"  # the moderator rejected the sender name
    SENDER_NOT_APPROVED = "sender_not_approved"  # the name is no longer approved (or gone)


def delivery_refusal(
    *,
    locked: bool,
    active: bool,
    any_sender: bool,
    stopped: bool,
    sender_state: SenderState | None,
) -> DeliveryRefusal | None:
    """``None`` when the message may be sent, else why not (the acceptance order: account,
    stop list, sender)."""
    if locked or not active:
        return DeliveryRefusal.ACCOUNT_LOCKED
    if stopped:
        return DeliveryRefusal.STOP_LIST
    if any_sender or sender_state is SenderState.COMPLETED:
        return None
    if sender_state is SenderState.REJECTED:
        return DeliveryRefusal.SENDER_REJECTED
    return DeliveryRefusal.SENDER_NOT_APPROVED
