"""The outbox storage contract on SQLite and PostgreSQL: the MO trigger fills it only for
accounts with SMPP access, claims are exclusive while leased, acks delete, retries come back
when due, expired rows are pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smsrelay.clock import SystemClock
from smsrelay.domain.money import Money
from smsrelay.services.admin import AdminService
from smsrelay.services.inbound import MoReceived
from smsrelay.services.smpp_access import SmppAccess
from smsrelay.services.smpp_outbox import OutboxKind
from smsrelay.store import Database, SqlAccountStore
from smsrelay.store.inbound import SqlInboundStore
from smsrelay.store.smpp_server import SqlSmppServerStore

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def test_outbox_claim_ack_retry_prune(database: Database) -> None:
    """Claim, lease, ack, retry and prune, with MO rows made by the trigger."""
    accounts = SqlAccountStore(database)
    admin = AdminService(accounts, SystemClock())
    acme, _ = await admin.create_account("acme", "pw", balance=Money.parse("1"))
    plain, _ = await admin.create_account("plain", "pw", balance=Money.parse("1"))
    store = SqlSmppServerStore(database)
    await store.set_access(acme.id, "hash", SmppAccess(), NOW)
    inbound = SqlInboundStore(database)
    await inbound.add_number(_number(acme.id, "79990000001"), NOW)
    await inbound.add_number(_number(plain.id, "79990000002"), NOW)
    await inbound.save(
        [
            MoReceived(f"7916000000{i}", "79990000001", f"mo {i}", NOW - timedelta(hours=i))
            for i in range(4)
        ]
        + [MoReceived("79160000009", "79990000002", "not smpp", NOW)]
    )
    assert (4, 0) == (await store.outbox_size(acme.id), await store.outbox_size(plain.id))
    first = await store.claim_outbox([acme.id], "a", NOW, LEASE, 2)
    second = await store.claim_outbox([acme.id], "b", NOW, LEASE, 10)
    assert [OutboxKind.MO] * 4 == [i.kind for i in first + second]
    assert 4 == len({i.id for i in first + second})  # exclusive while leased
    assert [] == await store.claim_outbox([acme.id], "c", NOW, LEASE, 10)
    assert [] == await store.claim_outbox([plain.id], "c", NOW + 2 * LEASE, LEASE, 10)
    await store.ack_outbox([first[0].id])
    await store.retry_outbox([first[1].id], NOW + timedelta(seconds=10))
    assert [] == await store.claim_outbox([acme.id], "c", NOW + timedelta(seconds=5), LEASE, 10)
    again = await store.claim_outbox([acme.id], "c", NOW + timedelta(seconds=10), LEASE, 10)
    assert ([first[1].id], 2) == ([i.id for i in again], again[0].attempts)
    assert ("79160000001", "79990000001", "mo 1") == (
        again[0].source,
        again[0].destination,
        again[0].text,
    )
    # second's lease ends: its rows come back to anyone
    later = await store.claim_outbox([acme.id], "d", NOW + 2 * LEASE, LEASE, 10)
    assert {i.id for i in second} <= {i.id for i in later}
    assert 2 == await store.prune_outbox(NOW - timedelta(hours=1, minutes=30))
    assert 1 == await store.outbox_size(acme.id)


def _number(account_id: int, number: str):  # type: ignore[no-untyped-def]
    from smsrelay.services.inbound import InboundNumber

    return InboundNumber(account_id=account_id, number=number, keyword="")
