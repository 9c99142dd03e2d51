"""A message's status from its parts (``domain.status.aggregate_parts``), as properties: any
order of receipts, duplicates and missing parts gives the status the issue defines."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsrelay.domain.status import MessageStatus, PartState, aggregate_parts

pytestmark = pytest.mark.faults

P = PartState
M = MessageStatus
FINAL_PARTS = [P.DELIVERED, P.UNDELIVERED, P.EXPIRED, P.REJECTED]
WORST_FIRST = [P.REJECTED, P.UNDELIVERED, P.EXPIRED]
AS_MESSAGE = {P.REJECTED: M.UNDELIVERED, P.UNDELIVERED: M.UNDELIVERED, P.EXPIRED: M.EXPIRED}

parts = st.lists(st.sampled_from(list(PartState)), min_size=1, max_size=10)


def expected(states: list[PartState], total: int, give_up: bool) -> MessageStatus | None:
    """The issue's rule, written out plainly."""
    finals = [s for s in states if s.is_final]
    if len(finals) < total and not give_up:
        return None
    delivered = finals.count(P.DELIVERED)
    if delivered >= total:
        return M.DELIVERED
    if delivered:
        return M.PARTLY_DELIVERED
    worst = next((w for w in WORST_FIRST if w in finals), None)
    return M.EXPIRED if worst is None else AS_MESSAGE[worst]


@given(parts, st.booleans())
def test_status_follows_the_rule(states: list[PartState], give_up: bool) -> None:
    """all delivered -> delivered; some delivered, the rest failed or silent ->
    partly_delivered; none -> the worst final state; undecided while parts are pending."""
    total = len(states)
    assert expected(states, total, give_up) == aggregate_parts(states, total, give_up=give_up)


@given(parts, st.randoms(use_true_random=False), st.booleans())
def test_order_of_receipts_does_not_matter(
    states: list[PartState], rnd: object, give_up: bool
) -> None:
    """Receipts arrive in any order: the status is the same."""
    shuffled = list(states)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    total = len(states)
    assert aggregate_parts(states, total, give_up=give_up) == aggregate_parts(
        shuffled, total, give_up=give_up
    )


@given(st.lists(st.sampled_from(FINAL_PARTS), min_size=1, max_size=10))
def test_every_part_final_always_decides(states: list[PartState]) -> None:
    """Once every part has a final state, the message has a final status."""
    status = aggregate_parts(states, len(states))
    assert status is not None and status.is_final


@given(st.lists(st.sampled_from(FINAL_PARTS), min_size=2, max_size=10), st.data())
def test_a_part_that_never_reports_waits_until_validity_ends(
    states: list[PartState], data: st.DataObject
) -> None:
    """One part silent: undecided until ``give_up``; then it counts as never delivered."""
    silent = data.draw(st.integers(min_value=0, max_value=len(states) - 1))
    seen = [s for i, s in enumerate(states) if i != silent]
    total = len(states)
    assert aggregate_parts(seen, total) is None
    given_up = aggregate_parts(seen, total, give_up=True)
    delivered = Counter(seen)[P.DELIVERED]
    assert (M.PARTLY_DELIVERED if delivered else given_up) == given_up
    assert M.DELIVERED != given_up


@given(st.integers(min_value=1, max_value=10))
def test_uniform_parts_examples(total: int) -> None:
    """All delivered; one undelivered among delivered; all expired."""
    assert M.DELIVERED == aggregate_parts([P.DELIVERED] * total, total)
    if total > 1:
        mixed = [P.DELIVERED] * (total - 1) + [P.UNDELIVERED]
        assert M.PARTLY_DELIVERED == aggregate_parts(mixed, total)
    assert M.EXPIRED == aggregate_parts([P.EXPIRED] * total, total)
