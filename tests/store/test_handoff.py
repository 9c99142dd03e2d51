"""Claim at acceptance: accept_batch with a hand-off stores due SMS as claimed (what a claim
would have written) and gives them to the hand-off after the commit; whatever it does not
grant stays ``queued`` for the ordinary claim. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from smsrelay.domain.messages import Channel, MessageKind, OutboundMessage
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.services.ports import Accepted, AcceptRequest

from .conftest import LEASE, NOW, Kit, message


@dataclass
class Slots:
    """A hand-off granting at most ``room`` slots; it records what it was given."""

    room: int
    lease: timedelta = LEASE
    reserved: int = 0
    taken: list[OutboundMessage] = field(default_factory=list)
    queued: int = 0
    released: int = 0
    only: Callable[[int, str], bool] | None = None  # several nodes: this one's messages

    def routes_here(self) -> Callable[[int, str], bool] | None:
        return self.only

    def reserve(self, wanted: int) -> int:
        granted = min(wanted, self.room - self.reserved)
        self.reserved += granted
        return granted

    def take(self, messages: Sequence[OutboundMessage], granted: int, queued: int) -> None:
        assert granted == len(messages)
        self.reserved -= granted
        self.taken.extend(messages)
        self.queued += queued

    def release(self, granted: int) -> None:
        self.reserved -= granted
        self.released += granted


async def test_due_sms_are_stored_claimed_and_handed_over(kit: Kit) -> None:
    account = await kit.account("alice", "100")
    await kit.accounts.set_price(PriceEntry("7", Money.parse("1"), "Russia", Channel.VIBER))
    slots = Slots(room=10)
    [results] = await kit.messages.accept_batch(
        [
            AcceptRequest(
                account.id,
                [
                    message(account.id, "79000000001", parts=2, extra={"flash": "1"}),
                    message(account.id, "79000000002", time_send=NOW + timedelta(hours=1)),
                    message(account.id, "79000000003", channel=Channel.VIBER),
                ],
            )
        ],
        NOW,
        slots,
    )
    first, scheduled, viber = (r.id_sms for r in results if isinstance(r, Accepted))
    [given] = slots.taken
    assert (0, 0, 0) == (slots.reserved, slots.queued, slots.released)
    assert given == OutboundMessage(
        id=first,
        account_id=account.id,
        phone="79000000001",
        sender="Shop",
        text="hello",
        parts=2,
        channel=Channel.SMS,
        kind=MessageKind.SMS,
        valid_until=given.valid_until,
        attempts=1,
        price=Money.parse("1"),  # per part, as the claim gives it
        extra={"flash": "1"},
    )
    assert given.valid_until > NOW
    rows = {
        int(r.id): (r.status, r.attempts, r.lease_until is not None)
        for r in await kit.rows("SELECT id, status, attempts, lease_until FROM messages")
    }
    assert {
        first: ("submitting", 1, True),
        scheduled: ("scheduled", 0, False),
        viber: ("queued", 0, False),
    } == rows
    assert [] == await kit.claim()  # nothing is left for the ordinary claim to take
    assert [] == await kit.claim(now=NOW + LEASE - timedelta(seconds=1))
    [again] = await kit.claim(now=NOW + LEASE + timedelta(seconds=1))  # its lease ended
    assert (first, 2) == (again.id, again.attempts)


async def test_what_is_not_granted_stays_queued_for_the_claim(kit: Kit) -> None:
    account = await kit.account("alice", "100")
    slots = Slots(room=2)
    phones = [f"7900000000{n}" for n in range(5)]
    await kit.messages.accept_batch(
        [AcceptRequest(account.id, [message(account.id, p) for p in phones])], NOW, slots
    )
    assert (phones[:2], 3) == ([m.phone for m in slots.taken], slots.queued)
    claimed = await kit.claim()
    assert phones[2:] == [m.phone for m in claimed]
    assert [1, 1, 1] == [m.attempts for m in claimed]


async def test_a_failed_transaction_gives_the_slots_back(kit: Kit) -> None:
    account = await kit.account("alice", "100")
    async with kit.db.write() as conn:  # make the insert fail after the slots were granted
        cascade = " CASCADE" if kit.db.dialect == "postgresql" else ""
        await conn.execute(text(f"DROP TABLE ledger{cascade}"))
    slots = Slots(room=5)
    with pytest.raises(DBAPIError):  # the lost table, as either driver reports it
        await kit.messages.accept_batch(
            [AcceptRequest(account.id, [message(account.id)])], NOW, slots
        )
    assert ([], 0, 1) == (slots.taken, slots.reserved, slots.released)


async def test_only_messages_routed_here_are_handed_over(kit: Kit) -> None:
    """Several nodes: the hand-off takes only the messages routed to a connector this node
    runs; the others stay ``queued`` for the node that runs theirs."""
    account = await kit.account("alice", "100")
    slots = Slots(room=10, only=lambda _account, phone: phone.startswith("7900"))
    [results] = await kit.messages.accept_batch(
        [
            AcceptRequest(
                account.id,
                [message(account.id, "79000000001"), message(account.id, "79110000002")],
            )
        ],
        NOW,
        slots,
    )
    here, other = (r.id_sms for r in results if isinstance(r, Accepted))
    assert [here] == [m.id for m in slots.taken]
    assert 1 == slots.queued
    async with kit.db.read() as conn:
        rows = dict((await conn.execute(text("SELECT id, status FROM messages"))).all())
    assert {here: "submitting", other: "queued"} == rows


async def test_a_claim_with_a_route_filter_leaves_other_nodes_messages(kit: Kit) -> None:
    """``claim(only=...)`` claims only the due rows it accepts, also behind others (within its
    bounded window of due rows: at least 200)."""
    account = await kit.account("alice", "1000")
    phones = [f"7911000{n:04d}" for n in range(150)] + ["79000000001"]
    await kit.messages.accept_batch(
        [AcceptRequest(account.id, [message(account.id, p) for p in phones])], NOW
    )
    claimed = await kit.queue.claim(NOW, 10, LEASE, only=lambda _a, p: p.startswith("7900"))
    assert ["79000000001"] == [m.phone for m in claimed]
    again = await kit.queue.claim(NOW, 400, LEASE, only=lambda _a, p: p.startswith("7911"))
    assert 150 == len(again)
