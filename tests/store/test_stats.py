"""The statistics summary follows every message change (database triggers), folded or not,
and always equals a count over ``messages``, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from smsrelay.domain.money import Money
from smsrelay.domain.status import PartState
from smsrelay.services.ports import PartAccepted, ReceiptRecord, SubmitRecord
from smsrelay.services.stats import Dimension, MessageFilter
from smsrelay.store.stats import SqlStatsStore

from .conftest import LEASE, NOW, Kit, message

DAY = NOW.date()
ALL = (Dimension.DAY, Dimension.STATUS, Dimension.AREA, Dimension.SENDER, Dimension.CAMPAIGN)


async def truth(kit: Kit, account_id: int) -> dict[tuple[str, ...], tuple[int, int, int]]:
    """The same aggregate computed by scanning messages."""
    rows = await kit.rows(
        "SELECT status, coalesce(area, ''), sender, extra, parts, price_micros FROM messages"
        " WHERE account_id = :a",
        a=account_id,
    )
    out: dict[tuple[str, ...], tuple[int, int, int]] = {}
    for status, area, sender, extra, parts, price in rows:
        campaign = json.loads(extra).get("name_delivery", "") if extra else ""
        key = (DAY.isoformat(), status, area, sender, campaign)
        n, p, c = out.get(key, (0, 0, 0))
        out[key] = (n + 1, p + int(parts), c + int(parts) * int(price))
    return out


async def summary(
    stats: SqlStatsStore, account_id: int
) -> dict[tuple[str, ...], tuple[int, int, int]]:
    rows = await stats.summary(account_id, DAY - timedelta(days=1), DAY + timedelta(days=1), ALL)
    return {r.key: (r.messages, r.parts, r.cost.micros) for r in rows}


async def test_summary_follows_accept_claim_submit_receipts_and_expiry(kit: Kit) -> None:
    alice = await kit.account("alice", "1000")
    bob = await kit.account("bob", "1000", prices=False)
    stats = SqlStatsStore(kit.db)
    await kit.accept(
        alice.id,
        *(message(alice.id, f"7900000{n:04d}", parts=1 + n % 3) for n in range(30)),
        *(
            message(alice.id, "380501234567", sender="Other", extra={"name_delivery": "Sale"})
            for _ in range(5)
        ),
        message(alice.id, time_send=NOW + timedelta(hours=2)),
    )
    await kit.accept(bob.id, message(bob.id))
    assert await truth(kit, alice.id) == await summary(stats, alice.id)
    claimed = await kit.claim(limit=20)
    await kit.queue.record_submits(
        [SubmitRecord(m.id, "smsc", (PartAccepted(1, f"c{m.id}"),)) for m in claimed[:15]]
        + [SubmitRecord(m.id, "smsc", (), rejected_parts=m.parts) for m in claimed[15:]],
        NOW,
    )
    await kit.queue.apply_receipts(
        [ReceiptRecord("smsc", (f"c{m.id}",), PartState.DELIVERED, NOW) for m in claimed[:10]]
    )
    assert await truth(kit, alice.id) == await summary(stats, alice.id)
    folded = await stats.fold(7)
    assert 7 == folded
    assert await truth(kit, alice.id) == await summary(stats, alice.id)
    while await stats.fold(1000):
        pass
    assert 0 == await kit.scalar("SELECT count(*) FROM message_stats_delta")
    await kit.queue.expire(NOW + timedelta(days=30), 100)
    assert await truth(kit, alice.id) == await summary(stats, alice.id)
    assert await truth(kit, bob.id) == await summary(stats, bob.id)  # accounts kept apart
    assert 1 == sum(n for n, _, _ in (await summary(stats, bob.id)).values())
    by_status = await stats.summary(alice.id, DAY, DAY, [Dimension.STATUS])
    assert 36 == sum(r.messages for r in by_status)
    total = await stats.summary(alice.id, DAY, DAY, [])
    assert [36] == [r.messages for r in total]
    assert Money(sum(v[2] for v in (await truth(kit, alice.id)).values())) == total[0].cost


async def test_w1_listing_filters(kit: Kit) -> None:
    alice = await kit.account("alice", "1000")
    stats = SqlStatsStore(kit.db)
    await kit.accept(alice.id, message(alice.id), message(alice.id, "79001112233", sender="B"))
    window = MessageFilter(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert 2 == len(await stats.messages(alice.id, window, 100))
    only_b = MessageFilter(window.since, window.until, sender="B")
    [row] = await stats.messages(alice.id, only_b, 100)
    assert "79001112233" == row.phone
    assert [] == await stats.messages(
        alice.id, MessageFilter(NOW + timedelta(days=1), NOW + timedelta(days=2)), 100
    )
    assert date(2026, 1, 1) == row.created_at.date()


async def test_whole_months_read_from_the_monthly_rows_add_up(kit: Kit) -> None:
    """Messages on days across three months: any period, grouped without the day (monthly
    rows for whole months, daily for the edges), equals the sum of its daily rows."""
    alice = await kit.account("alice", "1000")
    stats = SqlStatsStore(kit.db)
    start = NOW.replace(month=1, day=20)
    for n in range(0, 80, 3):
        await kit.accept(alice.id, message(alice.id), now=start + timedelta(days=n))
    while await stats.fold(1000):
        pass
    await kit.accept(alice.id, message(alice.id), now=start + timedelta(days=41))  # unfolded
    first_day = start.date()
    for lo in (0, 5, 12, 40):
        for hi in (lo, lo + 11, 45, 79):
            first, last = first_day + timedelta(days=lo), first_day + timedelta(days=hi)
            if first > last:
                continue
            daily = await stats.summary(alice.id, first, last, [Dimension.DAY, Dimension.STATUS])
            whole = await stats.summary(alice.id, first, last, [Dimension.STATUS])
            assert sum(r.messages for r in daily) == sum(r.messages for r in whole), (lo, hi)
            assert sum(r.cost.micros for r in daily) == sum(r.cost.micros for r in whole)


async def test_hourly_and_connector_rows_follow_every_change(kit: Kit) -> None:
    """The cabinet's local days (from the hourly rows) and the reports' per-connector rows
    (0105) equal a scan of ``messages`` before and after folding, through submits, receipts and
    expiry; at UTC+11 the messages of 13:00 and 14:00 UTC fall on the next local day."""
    from datetime import datetime

    from smsrelay.store.stats import connector_counts, local_day_counts

    alice = await kit.account("alice", "1000")
    bob = await kit.account("bob", "1000", prices=False)
    stats = SqlStatsStore(kit.db)
    for h in range(3):
        await kit.accept(
            alice.id,
            *(message(alice.id, f"7900000{n:04d}", parts=1 + n % 2) for n in range(4 + h)),
            now=NOW + timedelta(hours=h),
        )
    await kit.accept(bob.id, message(bob.id))

    async def truth_days(account_id: int, offset: int) -> list[tuple[date, str, int, int, int]]:
        rows = await kit.rows(
            "SELECT created_at, status, parts, price_micros FROM messages WHERE account_id = :a",
            a=account_id,
        )
        out: dict[tuple[date, str], tuple[int, int, int]] = {}
        for created, status, parts, price in rows:
            at = created if isinstance(created, datetime) else datetime.fromisoformat(created)
            day = (at.replace(tzinfo=None) + timedelta(hours=offset)).date()
            n, p, c = out.get((day, status), (0, 0, 0))
            out[day, status] = (n + 1, p + int(parts), c + int(parts) * int(price))
        return [(d, s, *v) for (d, s), v in sorted(out.items())]

    async def truth_connector() -> list[tuple[str, str, int, int, int]]:
        rows = await kit.rows("SELECT connector, status, parts, price_micros FROM messages")
        out: dict[tuple[str, str], tuple[int, int, int]] = {}
        for connector, status, parts, price in rows:
            n, p, c = out.get((connector or "", status), (0, 0, 0))
            out[connector or "", status] = (n + 1, p + int(parts), c + int(parts) * int(price))
        return [(k, s, *v) for (k, s), v in sorted(out.items())]

    async def check() -> None:
        since = NOW - timedelta(days=1)
        for offset in (3, 11, -12):
            got = await local_day_counts(kit.db, alice.id, since, offset)
            assert await truth_days(alice.id, offset) == got
        assert await truth_days(bob.id, 3) == await local_day_counts(kit.db, bob.id, since, 3)
        assert await truth_connector() == await connector_counts(
            kit.db, DAY - timedelta(days=1), DAY + timedelta(days=1)
        )

    await check()
    claimed = await kit.claim(limit=10)
    await kit.queue.record_submits(
        [SubmitRecord(m.id, "smsc", (PartAccepted(1, f"c{m.id}"),)) for m in claimed[:8]]
        + [SubmitRecord(m.id, "smsc", (), rejected_parts=m.parts) for m in claimed[8:]],
        NOW,
    )
    await check()
    await stats.fold(5)
    await check()
    await kit.queue.apply_receipts(
        [ReceiptRecord("smsc", (f"c{m.id}",), PartState.DELIVERED, NOW) for m in claimed[:4]]
    )
    while await stats.fold(1000):
        pass
    await check()
    await kit.queue.expire(NOW + timedelta(days=30), 100)
    await check()
    at_11 = await local_day_counts(kit.db, alice.id, NOW - timedelta(days=1), 11)
    assert {DAY: 4, DAY + timedelta(days=1): 5 + 6} == {
        d: sum(r[2] for r in at_11 if r[0] == d) for d in {r[0] for r in at_11}
    }
    later = await local_day_counts(kit.db, alice.id, NOW + timedelta(hours=1), 0)
    assert 5 + 6 == sum(r[2] for r in later)  # from 13:00 UTC on


async def test_console_reports_from_the_summaries_equal_a_scan(kit: Kit) -> None:
    """The console's report by day, account, area and connector over periods spanning months
    (monthly rows, edge days, unfolded deltas) equals a scan of ``messages``."""
    from smsrelay.store.cabinet import SqlConsoleQueries

    alice = await kit.account("alice", "1000")
    bob = await kit.account("bob", "1000", prices=False)
    stats = SqlStatsStore(kit.db)
    start = NOW.replace(month=1, day=20)
    for n in range(0, 80, 4):
        phone = "380501234567" if n % 8 else "79001234567"
        await kit.accept(alice.id, message(alice.id, phone), now=start + timedelta(days=n))
        await kit.accept(bob.id, message(bob.id, parts=2), now=start + timedelta(days=n + 1))
    claimed = await kit.queue.claim(start + timedelta(days=90), 6, LEASE)
    await kit.queue.record_submits(
        [SubmitRecord(m.id, "smsc", (PartAccepted(1, f"c{m.id}"),)) for m in claimed[:4]]
        + [SubmitRecord(m.id, "smsc", (), rejected_parts=m.parts) for m in claimed[4:]],
        start + timedelta(days=90),
    )
    await stats.fold(25)  # some folded, some not
    await kit.accept(alice.id, message(alice.id), now=start + timedelta(days=41))
    queries = SqlConsoleQueries(kit.db)
    keys = {
        "day": "substr(CAST(m.created_at AS VARCHAR), 1, 10)",
        "account": "a.login",
        "area": "coalesce(m.area, '')",
        "connector": "coalesce(m.connector, '')",
    }
    first_day = start.date()
    for lo, hi in ((0, 79), (5, 45), (12, 12), (40, 90)):
        since = datetime.combine(first_day + timedelta(days=lo), datetime.min.time(), UTC)
        until = datetime.combine(first_day + timedelta(days=hi + 1), datetime.min.time(), UTC)
        for group, key in keys.items():
            rows = await kit.rows(
                f"SELECT {key}, count(*), sum(m.parts),"
                " sum(CASE WHEN m.status IN ('delivered', 'read') THEN 1 ELSE 0 END),"
                " sum(CASE WHEN m.status IN ('rejected', 'cancelled') THEN 0"
                " ELSE m.parts * m.price_micros END)"
                " FROM messages m JOIN accounts a ON a.id = m.account_id"
                " WHERE m.created_at >= :lo AND m.created_at < :hi GROUP BY 1 ORDER BY 1",
                lo=since,
                hi=until,
            )
            truth = [(str(k)[:10], int(n), int(p), int(d), int(v)) for k, n, p, d, v in rows]
            got = await queries.report(since, until, group)
            assert truth == [
                (r.key, r.messages, r.parts, r.delivered, r.revenue.micros) for r in got
            ], (group, lo, hi)
