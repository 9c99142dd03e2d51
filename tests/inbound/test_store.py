"""Incoming-SMS storage on SQLite and PostgreSQL: numbers, routing inside the write, the X7
window query, and the service's batching on top of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smsrelay.clock import FakeClock
from smsrelay.domain.accounts import Lang
from smsrelay.domain.money import Money
from smsrelay.services.inbound import InboundNumber, InboundService, MoReceived, NumberError
from smsrelay.store import Database, SqlAccountStore
from smsrelay.store.inbound import SqlInboundStore

T0 = datetime(2026, 3, 1, 9, 0, 0, 500_000, tzinfo=UTC)


async def new_account(db: Database, login: str) -> int:
    account = await SqlAccountStore(db).create(
        login=login,
        password_hash="x",
        token=None,
        balance=Money(0),
        lang=Lang.RU,
        any_sender=False,
        parent_id=None,
        now=T0,
    )
    return account.id


async def test_numbers_are_unique_per_keyword(database: Database) -> None:
    """A (number, keyword) pair has one owner; the same number may carry other keywords and
    one dedicated owner; unknown accounts are refused."""
    store = SqlInboundStore(database)
    a, b = await new_account(database, "a"), await new_account(database, "b")
    await store.add_number(InboundNumber(a, "3443", "IGRA"), T0)
    await store.add_number(InboundNumber(b, "3443", "VOTE"), T0)
    await store.add_number(InboundNumber(b, "3443", ""), T0)
    with pytest.raises(NumberError, match="already taken"):
        await store.add_number(InboundNumber(b, "3443", "IGRA"), T0)
    with pytest.raises(NumberError, match="no account"):
        await store.add_number(InboundNumber(999, "3444", ""), T0)
    expected = [
        InboundNumber(b, "3443", ""),
        InboundNumber(a, "3443", "IGRA"),
        InboundNumber(b, "3443", "VOTE"),
    ]
    assert expected == await store.numbers()
    assert [InboundNumber(a, "3443", "IGRA")] == await store.numbers(a)
    assert await store.remove_number(InboundNumber(a, "3443", "IGRA"))
    assert not await store.remove_number(InboundNumber(a, "3443", "IGRA"))


async def test_save_routes_each_message_and_returns_ids_in_order(database: Database) -> None:
    """One batch: keyword match, dedicated fallback and unknown number, ids ascending in order."""
    store = SqlInboundStore(database)
    a, b = await new_account(database, "a"), await new_account(database, "b")
    await store.add_number(InboundNumber(a, "3443", "IGRA"), T0)
    await store.add_number(InboundNumber(b, "3443", ""), T0)
    batch = [
        MoReceived("79160000001", "3443", "igra 1", T0),
        MoReceived("79160000002", "3443", "hello", T0),
        MoReceived("79160000003", "5555", "lost?", T0),
    ]
    stored = await store.save(batch)
    assert [(a, "IGRA"), (b, ""), (None, "")] == [(s.account_id, s.prefix) for s in stored]
    assert sorted(s.id for s in stored) == [s.id for s in stored]
    assert [m.text for m in batch] == [s.text for s in stored]


async def test_window_query_is_since_inclusive_before_exclusive(database: Database) -> None:
    """``since <= received_at < before``, oldest first, only the account's own messages."""
    store = SqlInboundStore(database)
    a, b = await new_account(database, "a"), await new_account(database, "b")
    await store.add_number(InboundNumber(a, "100", ""), T0)
    await store.add_number(InboundNumber(b, "200", ""), T0)
    times = [T0 + timedelta(minutes=i) for i in range(4)]
    await store.save([MoReceived("7916", "100", f"m{i}", t) for i, t in enumerate(times)])
    await store.save([MoReceived("7916", "200", "other", times[1])])
    got = await store.incoming(a, times[1], times[3], 100)
    assert ["m1", "m2"] == [m.text for m in got]
    assert ["m2", "m3"] == [m.text for m in await store.incoming(a, times[2], None, 100)]
    assert ["m0"] == [m.text for m in await store.incoming(a, T0, None, 1)]


async def test_service_stores_in_batches_and_x7_is_in_local_seconds(database: Database) -> None:
    """MOs handed over synchronously are written by the flusher; X7 bounds compare at the
    seconds ``date_receive`` shows, in the account's local time (Moscow + offset)."""
    clock = FakeClock(T0)
    service = InboundService(SqlInboundStore(database), clock)
    a = await new_account(database, "a")
    await service.add_number(a, "+7 999 000-11-22", None)
    await service.start()
    try:
        for i in range(5):
            service.receive("79160000001", "79990001122", f"text {i}", T0 + timedelta(seconds=i))
        await service.flushed()
    finally:
        await service.stop()
    assert 5 == service.stats["stored"]
    account = await SqlAccountStore(database).get(a)
    assert account is not None
    start = datetime(2026, 3, 1, 12, 0, 1)  # 09:00:01 UTC, shown as 12:00:01 Moscow
    views = await service.incoming(account, start, datetime(2026, 3, 1, 12, 0, 4))
    assert [("text 2", "2026-03-01 12:00:02.500000"), ("text 3", "2026-03-01 12:00:03.500000")] == [
        (v.text, v.date_receive.isoformat(" ")) for v in views
    ]
