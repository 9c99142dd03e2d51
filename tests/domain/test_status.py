"""The message lifecycle table and part aggregation."""

import pytest

from smsrelay.domain.status import (
    TRANSITIONS,
    IllegalTransition,
    MessageStatus,
    PartState,
    aggregate_parts,
    check_transition,
    wire_word,
)

S = MessageStatus
P = PartState


def test_every_state_has_a_row() -> None:
    """The table covers every status, and final states lead nowhere but delivered -> read."""
    assert set(TRANSITIONS) == set(MessageStatus)
    for state, targets in TRANSITIONS.items():
        if state.is_final and state is not S.DELIVERED:
            assert frozenset() == targets


def test_illegal_transition_names_both_ends() -> None:
    """An illegal move raises with the lookup that failed."""
    with pytest.raises(IllegalTransition) as info:
        check_transition(S.DELIVERED, S.QUEUED)
    assert (S.DELIVERED, S.QUEUED) == (info.value.current, info.value.target)


@pytest.mark.parametrize(
    ("status", "word"),
    [
        (S.SCHEDULED, "send"),
        (S.QUEUED, "send"),
        (S.SUBMITTING, "send"),
        (S.SUBMITTED, "send"),
        (S.DELIVERED, "deliver"),
        (S.READ, "read"),
        (S.UNDELIVERED, "not_deliver"),
        (S.REJECTED, "not_deliver"),
        (S.EXPIRED, "expired"),
        (S.PARTLY_DELIVERED, "partly_deliver"),
    ],
)
def test_wire_words(status: MessageStatus, word: str) -> None:
    """Spec §1.7 words."""
    assert word == wire_word(status)


@pytest.mark.parametrize(
    ("parts", "total", "give_up", "expected"),
    [
        ([P.DELIVERED], 1, False, S.DELIVERED),
        ([P.DELIVERED, P.PENDING], 2, False, None),
        ([P.DELIVERED], 2, False, None),
        ([P.DELIVERED, P.DELIVERED], 2, False, S.DELIVERED),
        ([P.DELIVERED, P.UNDELIVERED], 2, False, S.PARTLY_DELIVERED),
        ([P.DELIVERED, P.PENDING], 2, True, S.PARTLY_DELIVERED),
        ([P.UNDELIVERED, P.EXPIRED], 2, False, S.UNDELIVERED),
        ([P.EXPIRED, P.EXPIRED], 2, False, S.EXPIRED),
        ([P.PENDING], 1, True, S.EXPIRED),
        ([], 3, True, S.EXPIRED),
        ([P.REJECTED], 1, False, S.UNDELIVERED),
    ],
)
def test_aggregate(
    parts: list[PartState], total: int, give_up: bool, expected: MessageStatus | None
) -> None:
    """all delivered -> deliver; some -> partly; none -> the worst final state."""
    assert expected == aggregate_parts(parts, total, give_up=give_up)
