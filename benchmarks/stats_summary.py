"""Statistics at scale: summary rows for 10,000,000 messages, one account's aggregate query.

Seeds ``message_stats`` and ``message_stats_monthly`` directly (as the triggers and the
folder would have left them) for
200 accounts over 365 days: every account-day spreads its messages over statuses (85 %
delivered, 8 % undelivered, 4 % expired, 3 % rejected), destination areas, two senders and
campaigns; account 1 is the biggest (every bucket, every day). Then times the summary query
(`SqlStatsStore.summary`, summary + unfolded deltas) for account 1 over 90 days by
day x status, and over a year by status x area x sender x campaign.

    python benchmarks/stats_summary.py [--database-url sqlite:///path.db]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from smsrelay.services.stats import Dimension
from smsrelay.store import Database, migrate_sync
from smsrelay.store.stats import SqlStatsStore

TOTAL_MESSAGES = 10_000_000
ACCOUNTS = 200
DAYS = 365
STATUSES = (("delivered", 85), ("undelivered", 8), ("expired", 4), ("rejected", 3))
AREAS = (("Russia", 80), ("Ukraine", 10), ("Kazakhstan", 6), ("Belarus", 4))
SENDERS = ("Shop", "Alerts")
CAMPAIGNS = ("", "Autumn sale", "Reminders")
FIRST = date(2026, 1, 1)


def _rows(rng: random.Random) -> tuple[list[tuple[object, ...]], int]:
    """Summary rows whose message counts add up to TOTAL_MESSAGES."""
    per_day = TOTAL_MESSAGES // (ACCOUNTS * DAYS)
    # small accounts touch 40 % of their buckets, the big one all of them at 8x the volume
    scale = TOTAL_MESSAGES / (per_day * DAYS * (8 + (ACCOUNTS - 1) * 0.4))
    rows: list[tuple[object, ...]] = []
    total = 0
    for account in range(1, ACCOUNTS + 1):
        big = account == 1
        for d in range(DAYS):
            day = (FIRST + timedelta(days=d)).isoformat()
            volume = per_day * (8 if big else 1)
            for status, s_share in STATUSES:
                for area, a_share in AREAS:
                    for sender in SENDERS:
                        for campaign in CAMPAIGNS:
                            if not big and rng.random() < 0.6:
                                continue  # a small account-day touches some buckets only
                            n = max(1, round(volume * s_share * a_share / 10_000 / 6 * scale))
                            parts = n + n // 4
                            rows.append(
                                (
                                    account,
                                    day,
                                    status,
                                    area,
                                    sender,
                                    campaign,
                                    n,
                                    parts,
                                    parts * 1_150_000,
                                )
                            )
                            total += n
    return rows, total


async def _time_query(url: str) -> dict[str, float]:
    db = await Database.open(url)
    store = SqlStatsStore(db)
    out: dict[str, float] = {}
    cases = {
        "90 days by day x status": (
            FIRST + timedelta(days=DAYS - 90),
            FIRST + timedelta(days=DAYS - 1),
            [Dimension.DAY, Dimension.STATUS],
        ),
        "365 days by status x area x sender x campaign": (
            FIRST,
            FIRST + timedelta(days=DAYS - 1),
            [Dimension.STATUS, Dimension.AREA, Dimension.SENDER, Dimension.CAMPAIGN],
        ),
    }
    try:
        for name, (first, last, dims) in cases.items():
            await store.summary(1, first, last, dims)  # warm the page cache
            times = []
            for _ in range(20):
                t0 = time.perf_counter()
                result = await store.summary(1, first, last, dims)
                times.append((time.perf_counter() - t0) * 1000)
            out[name] = statistics.median(times)
            print(f"{name}: {len(result)} rows, median {out[name]:.1f} ms, max {max(times):.1f} ms")
    finally:
        await db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="smsrelay-stats-"))
    url = args.database_url or f"sqlite:///{workdir / 'stats.db'}"
    migrate_sync(url)
    rows, total = _rows(random.Random(13))
    t0 = time.perf_counter()
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.executemany("INSERT INTO message_stats VALUES (?,?,?,?,?,?,?,?,?)", rows)
            monthly: dict[tuple[object, ...], list[int]] = {}
            for account, day, *bucket, n, parts, cost in rows:
                acc = monthly.setdefault((account, str(day)[:7], *bucket), [0, 0, 0])
                acc[0] += int(n)  # type: ignore[call-overload]
                acc[1] += int(parts)  # type: ignore[call-overload]
                acc[2] += int(cost)  # type: ignore[call-overload]
            conn.executemany(
                "INSERT INTO message_stats_monthly VALUES (?,?,?,?,?,?,?,?,?)",
                [(*k, *v) for k, v in monthly.items()],
            )
    else:
        raise SystemExit("this benchmark seeds SQLite only")
    print(
        f"seeded {len(rows):,} summary rows for {total:,} messages "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    asyncio.run(_time_query(url))


if __name__ == "__main__":
    main()
