"""The delivery-time check (pure): the acceptance order, every reason."""

from __future__ import annotations

import pytest

from smsrelay.domain.compliance import DeliveryRefusal as R
from smsrelay.domain.compliance import delivery_refusal
from smsrelay.domain.senders import SenderState as St


@pytest.mark.parametrize(
    ("locked", "active", "any_sender", "stopped", "sender", "expected"),
    [
        (False, True, False, False, St.COMPLETED, None),
        (False, True, True, False, None, None),
        (True, True, True, True, St.REJECTED, R.ACCOUNT_LOCKED),
        (False, False, True, False, St.COMPLETED, R.ACCOUNT_LOCKED),
        (False, True, True, True, St.COMPLETED, R.STOP_LIST),
        (False, True, False, False, St.REJECTED, R.SENDER_REJECTED),
        (False, True, False, False, St.ORDER, R.SENDER_NOT_APPROVED),
        (False, True, False, False, None, R.SENDER_NOT_APPROVED),
    ],
)
def test_delivery_refusal(
    locked: bool, active: bool, any_sender: bool, stopped: bool, sender: St | None, expected: R
) -> None:
    """Account first, then the STOP list, then the sender (unless any sender is allowed)."""
    assert expected == delivery_refusal(
        locked=locked, active=active, any_sender=any_sender, stopped=stopped, sender_state=sender
    )
