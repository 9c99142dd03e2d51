"""Web pages with 1,000,000 messages in the history (issue 14: every page < 200 ms).

Seeds one SQLite database with 1,000,000 messages of ONE account (the worst case for the
per-account queries) spread over 90 days with a realistic mix of statuses, senders, phones
and campaigns, plus a few thousand for a second account (the statistics triggers fire on the
seed, and the deltas are folded as `serve`'s folder would); then times, through the real ASGI
application (httpx, no network), the cabinet's overview, history with each filter, a deep
keyset page, a message's detail, the first 50,000 rows of the CSV export, and the console's
reports (by day, account, area and connector over 7, 90 and 366 days).

    .venv/bin/python benchmarks/web_pages.py [--messages N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from smsrelay.bootstrap import build_runtime
from smsrelay.config import Settings
from smsrelay.domain.money import Money
from smsrelay.store import Database, migrate
from smsrelay.store.stats import SqlStatsStore

STATUSES = (
    ["delivered"] * 86 + ["undelivered"] * 6 + ["expired"] * 4 + ["submitted"] * 3 + ["rejected"]
)
SENDERS = ["Shop", "Bank", "Taxi", "Promo"]


def seed(path: Path, account_id: int, n: int, now: datetime) -> None:
    """Rows written straight with sqlite3 (the acceptance path would take an hour)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    start = now - timedelta(days=90)
    step = timedelta(days=90) / n
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    batch = []
    for i in range(n):
        created = start + step * i
        status = STATUSES[i % len(STATUSES)]
        final = status != "submitted"
        campaign = f"c{i // 20000}" if i % 3 == 0 else None
        extra = json.dumps({"name_delivery": campaign}) if campaign else None
        batch.append(
            (
                account_id,
                f"79{(i * 7919) % 10**9:09d}",
                SENDERS[i % 4],
                f"Your code {i % 10000:04d}",
                "sms",
                "sms",
                1 + (i % 5 == 0),
                1_000_000,
                status,
                (created + timedelta(seconds=5)).strftime(fmt) if final else None,
                created.strftime(fmt),
                created.strftime(fmt),
                (created + timedelta(days=1)).strftime(fmt),
                1,
                "simulator",
                extra,
                campaign,
                "Russia",  # the price entry's area, as acceptance stores it
            )
        )
        if len(batch) == 50_000:
            _flush(conn, batch)
    _flush(conn, batch)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def _flush(conn: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    conn.executemany(
        "INSERT INTO messages (account_id, phone, sender, text, channel, kind, parts,"
        " price_micros, status, status_at, created_at, due_at, valid_until, attempts,"
        " connector, extra, campaign, area) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        batch,
    )
    conn.commit()
    batch.clear()


async def timed(http: httpx.AsyncClient, path: str, runs: int = 5) -> tuple[float, float, int]:
    times = []
    size = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        r = await http.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
        size = len(r.content)
    return statistics.median(times), max(times), size


async def main(messages: int, keep: str | None) -> None:
    work = Path(keep or tempfile.mkdtemp(prefix="web-bench-"))
    db = work / "bench.db"
    url = f"sqlite:///{db}"
    settings = Settings(database_url=url, data_dir=str(work), simulator=False, engine=False)
    now = datetime.now(UTC)
    fresh = not db.exists()
    if fresh:
        await migrate(url)
    runtime = await build_runtime(settings)
    if fresh:
        await runtime.admin.create_account("bench", "bench-pass-1", balance=Money.parse("1000000"))
        await runtime.admin.create_account("other", "other-pass-1", balance=Money.parse("10"))
        t0 = time.perf_counter()
        await asyncio.to_thread(seed, db, 1, messages, now)
        await asyncio.to_thread(seed, db, 2, 5000, now)
        print(f"seeded {messages:,} messages in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        db_handle = await Database.open(url)
        stats = SqlStatsStore(db_handle)
        while await stats.fold(50_000):  # what the StatsFolder of `serve` does every 5 s
            pass
        await db_handle.close()
        print(f"folded the statistics deltas in {time.perf_counter() - t0:.0f} s")
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        page = await http.get("/lk/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        await http.post(
            "/lk/login", data={"login": "bench", "password": "bench-pass-1", "csrf": csrf}
        )
        day = (now - timedelta(days=40)).date().isoformat()
        first = await http.get("/lk/history")
        deep = re.search(r"before=(\d+)", first.text).group(1)  # type: ignore[union-attr]
        some_id = int(deep) - 123
        cases = [
            ("overview (30 days by day and status, chart)", "/lk/"),
            ("history, newest 50", "/lk/history"),
            ("history, next page (keyset)", f"/lk/history?before={deep}"),
            ("history, deep page (id 500,000)", f"/lk/history?before={messages // 2}"),
            ("history, status=undelivered", "/lk/history?status=undelivered"),
            ("history, status=pending (3%)", "/lk/history?status=pending"),
            ("history, sender=Bank", "/lk/history?sender=Bank"),
            ("history, one day 40 days ago", f"/lk/history?from={day}&to={day}"),
            ("history, phone prefix 7912345", "/lk/history?phone=7912345"),
            ("history, exact phone", "/lk/history?phone=79000007919"),
            ("history, campaign c10", "/lk/history?campaign=c10"),
            ("message detail", f"/lk/history/{some_id}"),
            ("statement", "/lk/statement"),
        ]
        print(f"{'page':48} {'median ms':>10} {'max ms':>8} {'bytes':>8}")
        for label, path in cases:
            med, worst, size = await timed(http, path)
            print(f"{label:48} {med:10.1f} {worst:8.1f} {size:8}")
        t0 = time.perf_counter()
        rows = 0
        async with http.stream("GET", "/lk/history.csv") as r:
            async for _line in r.aiter_lines():
                rows += 1
                if rows > 50_000:
                    break
        ms = (time.perf_counter() - t0) * 1000
        # httpx's ASGI transport hands the body over only once the app has sent all of it, so
        # this times the whole export (every row of the account), not the first 50,000
        print(f"{'CSV export (whole: the ASGI transport buffers)':48} {ms:10.1f}")
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        if fresh:
            await runtime.extras["web_access"].create_operator("root", "bench-root-pass")
        page = await http.get("/admin/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        await http.post(
            "/admin/login", data={"login": "root", "password": "bench-root-pass", "csrf": csrf}
        )
        year_ago = (now - timedelta(days=365)).date().isoformat()
        quarter = (now - timedelta(days=89)).date().isoformat()
        for by in ("day", "account", "area", "connector"):
            for label, query in (
                ("7 days", ""),
                ("90 days", f"&from={quarter}"),
                ("366 days", f"&from={year_ago}"),
            ):
                med, worst, size = await timed(http, f"/admin/reports?by={by}{query}")
                name = f"console report by {by}, {label}"
                print(f"{name:48} {med:10.1f} {worst:8.1f} {size:8}")
    await runtime.stop()
    print(f"database: {db}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--keep", default=None, help="reuse/keep the database in this folder")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.keep))
