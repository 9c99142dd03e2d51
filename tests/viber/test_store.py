"""``store.viber.SqlViberStore`` on SQLite and PostgreSQL: legs, statuses, the cascade's SMS
leg and its money, per-channel states."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from smsrelay.clock import utc
from smsrelay.domain.accounts import Lang
from smsrelay.domain.messages import Channel, NewMessage
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.domain.senders import Sender, SenderState
from smsrelay.domain.status import MessageStatus as S
from smsrelay.services.cascade import (
    ChannelState,
    SendVerdict,
    ViberSendRecord,
    ViberState,
    ViberStatusRecord,
    viber_leg_fields,
)
from smsrelay.services.commands import SendItem
from smsrelay.services.ports import Accepted, AcceptRequest
from smsrelay.store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore
from smsrelay.store.viber import SqlViberStore

NOW = utc(2026, 1, 1, 12)
LEASE = timedelta(minutes=1)


class Kit:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.accounts = SqlAccountStore(db)
        self.messages = SqlMessageStore(db)
        self.queue = SqlDeliveryQueue(db)
        self.viber = SqlViberStore(db)

    async def account(self, balance: str = "10", any_sender: bool = True) -> int:
        await self.accounts.set_price(PriceEntry("7", Money.parse("1.00"), "Russia"))
        await self.accounts.set_price(PriceEntry("7", Money.parse("0.40"), "Russia", Channel.VIBER))
        account = await self.accounts.create(
            login="shop",
            password_hash="x",
            token=None,
            balance=Money.parse(balance),
            lang=Lang.RU,
            any_sender=any_sender,
            parent_id=None,
            now=NOW,
        )
        return account.id

    async def accept_viber(self, account_id: int, count: int, cascade: bool = True) -> list[int]:
        """Accept ``count`` Viber messages (each a cascade to a 2-part SMS by default)."""
        item = SendItem(
            recipients=[],
            sender="SmsName",
            text="x" * 200,
            channel=Channel.VIBER,
            fallback=Channel.SMS if cascade else None,
        )
        valid_until, extra = viber_leg_fields(item, NOW, NOW + timedelta(days=3), None)
        new = [
            NewMessage(
                account_id=account_id,
                phone=f"7900123456{i}",
                sender="ViberName",
                text="hi",
                parts=1,
                channel=Channel.VIBER,
                valid_until=valid_until,
                extra=extra,
            )
            for i in range(count)
        ]
        [done] = await self.messages.accept_batch([AcceptRequest(account_id, new)], NOW)
        assert all(isinstance(a, Accepted) for a in done)
        return [a.id_sms for a in done if isinstance(a, Accepted)]

    async def viber_message(self, account_id: int, cascade: bool = True) -> int:
        """Accept and claim one Viber message (a cascade to a 2-part SMS by default)."""
        await self.accept_viber(account_id, 1, cascade)
        [claimed] = await self.queue.claim(NOW, 10, LEASE, Channel.VIBER)
        return claimed.id

    async def sent(self, mid: int, provider_id: str = "p1") -> None:
        record = ViberSendRecord(mid, "viber", SendVerdict.ACCEPTED, provider_id)
        assert [S.SUBMITTED] == [c.status for c in await self.viber.record_sends([record], NOW)]

    async def status(self, state: ViberState, provider_id: str = "p1", minutes: int = 1) -> list[S]:
        at = NOW + timedelta(minutes=minutes)
        applied = await self.viber.apply_statuses(
            [ViberStatusRecord("viber", provider_id, state, at)]
        )
        return [c.status for c in applied.changes]

    async def row(self, mid: int) -> tuple[str, str, str, str, int, int]:
        async with self.db.read() as conn:
            r = (
                await conn.execute(
                    text(
                        "SELECT channel, status, sender, text, parts, price_micros FROM messages"
                        " WHERE id = :i"
                    ),
                    {"i": mid},
                )
            ).one()
        return (r.channel, r.status, r.sender, r.text[:3], int(r.parts), int(r.price_micros))

    async def balance(self, account_id: int) -> Money:
        return await self.messages.balance(account_id)


@pytest.fixture
def kit(database: Database) -> Kit:
    return Kit(database)


async def test_read_implies_delivered_and_later_reports_change_nothing(kit: Kit) -> None:
    """``read`` may come first; a ``delivered`` after it, or a duplicate, changes nothing."""
    mid = await kit.viber_message(await kit.account(), cascade=False)
    await kit.sent(mid)
    assert [S.READ] == await kit.status(ViberState.READ)
    assert [] == await kit.status(ViberState.DELIVERED, minutes=2)
    assert [] == await kit.status(ViberState.READ, minutes=3)
    assert (
        ChannelState(mid, viber=S.READ, viber_at=NOW + timedelta(minutes=1))
        == (await kit.viber.channel_states([mid]))[mid]
    )


async def test_unknown_provider_id_is_unmatched(kit: Kit) -> None:
    """A report for an id we never recorded comes back unmatched (retried by the dispatcher)."""
    record = ViberStatusRecord("viber", "nope", ViberState.DELIVERED, NOW)
    assert [record] == (await kit.viber.apply_statuses([record])).unmatched


async def test_undelivered_cascade_becomes_an_sms_leg_charged_at_the_sms_price(kit: Kit) -> None:
    """The row turns into the SMS leg (SMS sender, text, 2 parts at 1.00); the Viber charge
    stays (the provider took it); both legs' statuses are kept."""
    account = await kit.account()
    mid = await kit.viber_message(account)
    await kit.sent(mid)
    assert [S.QUEUED] == await kit.status(ViberState.UNDELIVERED)
    assert ("sms", "queued", "SmsName", "xxx", 2, 1_000_000) == await kit.row(mid)
    assert Money.parse("10") - Money.parse("0.40") - Money.parse("2.00") == await kit.balance(
        account
    )
    states = (await kit.viber.channel_states([mid]))[mid]
    assert (S.QUEUED, S.UNDELIVERED) == (states.sms, states.viber)
    [claimed] = await kit.queue.claim(NOW + timedelta(minutes=1), 10, LEASE, Channel.SMS)
    assert (mid, "SmsName", 2) == (claimed.id, claimed.sender, claimed.parts)


async def test_viber_report_after_its_deadline_changes_nothing(kit: Kit) -> None:
    """Timeout fallback, then the provider says ``delivered`` after all: the Viber leg ended
    ``expired`` at its deadline (a final status never changes); the SMS leg goes on."""
    mid = await kit.viber_message(await kit.account())
    await kit.sent(mid)
    assert [] == await kit.viber.expire_legs(NOW + timedelta(hours=23), 10)
    changes = await kit.viber.expire_legs(NOW + timedelta(days=1), 10)
    assert [S.QUEUED] == [c.status for c in changes]
    assert [] == await kit.status(ViberState.DELIVERED, minutes=24 * 60 + 5)
    states = (await kit.viber.channel_states([mid]))[mid]
    assert (S.QUEUED, S.EXPIRED) == (states.sms, states.viber)


async def test_refused_or_late_viber_leg_is_refunded_before_the_sms_leg(kit: Kit) -> None:
    """Refused at send: the Viber leg is refunded, the SMS leg charged; a retry re-queues."""
    account = await kit.account()
    mid = await kit.viber_message(account)
    retry = ViberSendRecord(mid, "viber", SendVerdict.RETRY, retry_at=NOW + timedelta(seconds=30))
    assert [S.QUEUED] == [c.status for c in await kit.viber.record_sends([retry], NOW)]
    [again] = await kit.queue.claim(NOW + timedelta(seconds=30), 10, LEASE, Channel.VIBER)
    late = ViberSendRecord(again.id, "viber", SendVerdict.LATE)
    assert [S.QUEUED] == [c.status for c in await kit.viber.record_sends([late], NOW)]
    assert Money.parse("8.00") == await kit.balance(account)
    states = (await kit.viber.channel_states([mid]))[mid]
    assert (S.QUEUED, S.EXPIRED) == (states.sms, states.viber)


async def test_no_sms_leg_for_a_sender_not_approved(kit: Kit) -> None:
    """Without ``any_sender`` the SMS sender must be approved too; otherwise the message ends
    with the Viber leg's status and the reason is kept."""
    account = await kit.account(any_sender=False)
    await kit.accounts.set_sender(account, Sender("ViberName", SenderState.COMPLETED))
    await kit.accounts.set_sender(account, Sender("SmsName", SenderState.ORDER))
    mid = await kit.viber_message(account)
    refused = ViberSendRecord(mid, "viber", SendVerdict.REFUSED, detail="HTTP 400")
    assert [S.REJECTED] == [c.status for c in await kit.viber.record_sends([refused], NOW)]
    assert Money.parse("10") == await kit.balance(account)
    async with kit.db.read() as conn:
        reason = await conn.scalar(text("SELECT fallback_error FROM viber_legs"))
    assert "SENDER_NOT_MODERATED" == reason


async def test_has_work_only_when_a_viber_claim_is_due(kit: Kit) -> None:
    """Nothing queued: no work; a claimed message is work again once its lease ran out."""
    assert not await kit.viber.has_work(NOW)
    await kit.viber_message(await kit.account())
    assert (False, True) == (
        await kit.viber.has_work(NOW),
        await kit.viber.has_work(NOW + LEASE + timedelta(seconds=1)),
    )
