"""MessageStore.accept_batch (the group-committed write) and the MessageQueries views."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from smsrelay.domain.errors import RecipientError
from smsrelay.domain.money import Money
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.domain.status import MessageStatus
from smsrelay.services.ports import Accepted, AcceptRequest, MessageView, Refused

from .conftest import LEASE, NOW, PHONE, Kit, message

ONE = Money.parse("1")


async def test_results_follow_request_order_with_ascending_ids(kit: Kit) -> None:
    """One result per message, in order; ids ascend in the order the messages came."""
    account = await kit.account("alice", "100")
    results = await kit.accept(
        account.id,
        message(account.id, "79000000001"),
        message(account.id, "380501234567", parts=2),
        message(account.id, "79000000003"),
    )
    assert all(isinstance(r, Accepted) for r in results)
    ids = [r.id_sms for r in results if isinstance(r, Accepted)]
    assert sorted(ids) == ids
    assert [
        Accepted(ids[0], 1, ONE),
        Accepted(ids[1], 2, Money.parse("2")),
        Accepted(ids[2], 1, ONE),
    ] == results
    assert Money.parse("94") == await kit.messages.balance(account.id)


async def test_ids_are_64_bit(kit: Kit) -> None:
    """Message ids beyond 2^32 are stored and answered intact (spec §1.5)."""
    big = 5_000_000_000
    async with kit.db.write() as conn:
        if kit.db.dialect == "sqlite":
            await conn.execute(text("DELETE FROM sqlite_sequence WHERE name = 'messages'"))
            await conn.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', :n)"), {"n": big}
            )
        else:
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence('messages', 'id'), :n)"), {"n": big}
            )
    account = await kit.account()
    id_sms = await kit.accepted_id(account.id, message(account.id))
    assert big + 1 == id_sms
    assert {id_sms} == set(await kit.messages.views(account.id, [id_sms]))
    [claimed] = await kit.claim()
    assert big + 1 == claimed.id


async def test_out_of_money_mid_request(kit: Kit) -> None:
    """Money runs out part-way: earlier messages are accepted, later ones refused, never < 0."""
    account = await kit.account("alice", "2.5")
    results = await kit.accept(
        account.id,
        message(account.id, "79000000001"),
        message(account.id, "79000000002"),
        message(account.id, "79000000003"),
        message(account.id, "79000000004", parts=3),
    )
    assert [Accepted, Accepted, Refused, Refused] == [type(r) for r in results]
    assert Refused(RecipientError.OUT_OF_MONEY) == results[3]
    assert Money.parse("0.5") == await kit.messages.balance(account.id)
    charges = await kit.rows("SELECT amount_micros FROM ledger WHERE kind = 'charge'")
    assert [-2_000_000] == [r.amount_micros for r in charges]


async def test_locked_account_is_refused(kit: Kit) -> None:
    """Every message of a locked account is refused; nothing is charged."""
    account = await kit.account("alice", "10")
    await kit.accounts.set_locked(account.id, True)
    results = await kit.accept(account.id, message(account.id), message(account.id, "79000000002"))
    assert [Refused(RecipientError.ACCOUNT_LOCKED)] * 2 == results
    assert Money.parse("10") == await kit.messages.balance(account.id)
    assert 0 == await kit.scalar("SELECT count(*) FROM messages")


async def test_unknown_account_is_refused(kit: Kit) -> None:
    """A request for an account that does not exist charges nobody and stores nothing."""
    await kit.account()
    results = await kit.accept(9999, message(9999))
    assert [Refused(RecipientError.ACCOUNT_LOCKED)] == results


async def test_stop_list_refuses_only_stopped_phones(kit: Kit) -> None:
    """A phone on the account's stop list is refused; the others go on."""
    account = await kit.account()
    await kit.accounts.add_stop(account.id, "79000000002", NOW)
    results = await kit.accept(
        account.id, message(account.id, "79000000001"), message(account.id, "79000000002")
    )
    assert isinstance(results[0], Accepted)
    assert Refused(RecipientError.STOP_LIST) == results[1]


async def test_sender_states_without_any_sender(kit: Kit) -> None:
    """Without ``any_sender`` only approved names pass: unknown and pending ones are refused."""
    account = await kit.account(any_sender=False)
    await kit.accounts.set_sender(account.id, Sender("Approved", SenderState.COMPLETED))
    await kit.accounts.set_sender(account.id, Sender("Pending", SenderState.ORDER))
    await kit.accounts.set_sender(account.id, Sender("Denied", SenderState.REJECTED))
    results = await kit.accept(
        account.id,
        message(account.id, sender="Approved"),
        message(account.id, sender="Pending"),
        message(account.id, sender="Denied"),
        message(account.id, sender="Unknown"),
    )
    assert isinstance(results[0], Accepted)
    assert [
        Refused(RecipientError.SENDER_NOT_MODERATED),
        Refused(RecipientError.SENDER_NOT_MODERATED),
        Refused(RecipientError.NO_SUCH_SENDER),
    ] == results[1:]


async def test_any_sender_skips_sender_checks(kit: Kit) -> None:
    """An ``any_sender`` account may use any well-formed name."""
    account = await kit.account(any_sender=True)
    [result] = await kit.accept(account.id, message(account.id, sender="Whatever"))
    assert isinstance(result, Accepted)


async def test_destination_without_price_is_closed(kit: Kit) -> None:
    """No price for the phone's prefix: refused as a closed destination."""
    account = await kit.account()
    assert [Refused(RecipientError.DESTINATION_CLOSED)] == await kit.accept(
        account.id, message(account.id, "4915112345678")
    )


async def test_duplicates_within_one_batch_answer_the_first_id(kit: Kit) -> None:
    """A client_id_sms repeated in the same request, or another request of the same batch,
    answers the first message's id and is charged once."""
    account = await kit.account("alice", "10")
    first = [message(account.id, client_id_sms="101"), message(account.id, client_id_sms="101")]
    second = [message(account.id, "79000000002", client_id_sms="101")]
    a, b = await kit.messages.accept_batch(
        [AcceptRequest(account.id, first), AcceptRequest(account.id, second)], NOW
    )
    assert isinstance(a[0], Accepted)
    duplicate = Accepted(a[0].id_sms, 1, ONE, duplicate=True)
    assert [a[0], duplicate] == a
    assert [duplicate] == b
    assert Money.parse("9") == await kit.messages.balance(account.id)


async def test_duplicates_across_batches_answer_the_earlier_id(kit: Kit) -> None:
    """A client_id_sms already used by the account answers the stored message, uncharged;
    the key is scoped to the account."""
    alice = await kit.account("alice", "10")
    bob = await kit.account("bob", "10", prices=False)
    [earlier] = await kit.accept(alice.id, message(alice.id, parts=2, client_id_sms="x-1"))
    assert isinstance(earlier, Accepted)
    [again] = await kit.accept(alice.id, message(alice.id, "79000000009", client_id_sms="x-1"))
    [bobs] = await kit.accept(bob.id, message(bob.id, client_id_sms="x-1"))
    assert Accepted(earlier.id_sms, 2, ONE, duplicate=True) == again
    assert isinstance(bobs, Accepted)
    assert not bobs.duplicate
    assert Money.parse("8") == await kit.messages.balance(alice.id)


async def test_refused_client_id_can_be_used_again(kit: Kit) -> None:
    """A refused message does not consume its client_id_sms."""
    account = await kit.account("alice", "0.5")
    assert [Refused(RecipientError.OUT_OF_MONEY)] == await kit.accept(
        account.id, message(account.id, client_id_sms="7")
    )
    await kit.accounts.credit(account.id, ONE, "topup", NOW)
    [result] = await kit.accept(account.id, message(account.id, client_id_sms="7"))
    assert isinstance(result, Accepted)
    assert not result.duplicate


async def test_many_accounts_in_one_batch(kit: Kit) -> None:
    """Each account is decided on its own balance and charged with one ledger row per batch."""
    alice = await kit.account("alice", "1")
    bob = await kit.account("bob", "5", prices=False)
    results = await kit.messages.accept_batch(
        [
            AcceptRequest(alice.id, [message(alice.id)]),
            AcceptRequest(bob.id, [message(bob.id), message(bob.id)]),
            AcceptRequest(alice.id, [message(alice.id)]),
        ],
        NOW,
    )
    assert [[Accepted], [Accepted, Accepted], [Refused]] == [[type(r) for r in x] for x in results]
    assert Money(0) == await kit.messages.balance(alice.id)
    assert Money.parse("3") == await kit.messages.balance(bob.id)
    charges = await kit.rows(
        "SELECT account_id, amount_micros FROM ledger WHERE kind = 'charge' ORDER BY account_id"
    )
    assert [(alice.id, -1_000_000), (bob.id, -2_000_000)] == [tuple(r) for r in charges]


async def test_future_time_send_is_scheduled(kit: Kit) -> None:
    """``time_send`` in the future stores ``scheduled`` (not claimable) until released; its
    default validity runs from then. A past ``time_send`` is due now."""
    account = await kit.account()
    later = NOW + timedelta(hours=2)
    scheduled = await kit.accepted_id(account.id, message(account.id, time_send=later))
    past = await kit.accepted_id(account.id, message(account.id, time_send=NOW - timedelta(1)))
    views = await kit.messages.views(account.id, [scheduled, past])
    assert MessageStatus.SCHEDULED == views[scheduled].status
    assert MessageStatus.QUEUED == views[past].status
    assert [past] == [m.id for m in await kit.queue.claim(NOW, 10, timedelta(hours=3))]
    assert 0 == await kit.queue.release_scheduled(later - timedelta(seconds=1), 10)
    assert 1 == await kit.queue.release_scheduled(later, 10)
    [claimed] = await kit.queue.claim(later, 10, LEASE)
    assert (scheduled, later + timedelta(days=3)) == (claimed.id, claimed.valid_until)


async def test_default_validity_is_a_constructor_parameter(kit: Kit) -> None:
    """Without a validity the message lives ``default_validity``; a given one is kept."""
    from smsrelay.store import SqlMessageStore

    store = SqlMessageStore(kit.db, default_validity=timedelta(hours=6))
    account = await kit.account()
    given = NOW + timedelta(minutes=5)
    await store.accept_batch(
        [AcceptRequest(account.id, [message(account.id), message(account.id, valid_until=given)])],
        NOW,
    )
    claimed = await kit.claim()
    assert [NOW + timedelta(hours=6), given] == [m.valid_until for m in claimed]


async def test_message_fields_round_trip_to_the_engine(kit: Kit) -> None:
    """What was accepted is what the engine claims: text, sender, parts, price, extra."""
    account = await kit.account()
    id_sms = await kit.accepted_id(
        account.id, message(account.id, sender="Shop", parts=2, extra={"url": "http://x.y/ü"})
    )
    [claimed] = await kit.claim()
    assert (id_sms, account.id, PHONE, "Shop", "hello", 2, ONE, {"url": "http://x.y/ü"}) == (
        claimed.id,
        claimed.account_id,
        claimed.phone,
        claimed.sender,
        claimed.text,
        claimed.parts,
        claimed.price,
        claimed.extra,
    )


async def test_views_show_only_the_accounts_own_messages(kit: Kit) -> None:
    """A foreign or unknown id is simply absent; pending messages have no status time."""
    alice = await kit.account("alice")
    bob = await kit.account("bob", prices=False)
    mine = await kit.accepted_id(alice.id, message(alice.id, parts=2))
    theirs = await kit.accepted_id(bob.id, message(bob.id))
    views = await kit.messages.views(alice.id, [mine, theirs, theirs + 1000, -5])
    assert {
        mine: MessageView(mine, alice.id, MessageStatus.QUEUED, None, 2, ONE, message(1).channel)
    } == views
    assert [theirs] == list(await kit.messages.views(bob.id, [mine, theirs]))


async def test_views_of_many_ids_at_once(kit: Kit) -> None:
    """Thousands of ids are looked up in one call."""
    account = await kit.account("alice", "5000")
    results = await kit.accept(account.id, *(message(account.id) for _ in range(3000)))
    ids = [r.id_sms for r in results if isinstance(r, Accepted)]
    views = await kit.messages.views(account.id, [*ids, *range(10**9, 10**9 + 3000)])
    assert sorted(ids) == sorted(views)
