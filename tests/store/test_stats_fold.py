"""The set-based statistics folds (``store/stats_fold.py``) write the same summaries as the
fold that reads every delta into Python (``SqlStatsStore.fold_rows``): the same random deltas,
signed as status changes write them, folded in rounds of random sizes on two databases of
each kind, give the same daily, monthly, hourly and per-connector rows (rows that sum to
nothing aside)."""

from __future__ import annotations

import contextlib
import itertools
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text

from conftest import DATABASES, fresh_postgres_database
from smsrelay.store import Database
from smsrelay.store.schema_stats import message_stats_delta
from smsrelay.store.stats import SqlStatsStore

TABLES = (
    "message_stats",
    "message_stats_monthly",
    "message_stats_hourly",
    "message_stats_connector",
)


def _deltas(seed: int, count: int) -> list[dict[str, Any]]:
    """Deltas as the triggers write them: +1 for a new status, and -1/+1 pairs as a message
    moves on; some old ones (before 0105) carry no hour or connector."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    statuses = ("queued", "submitted", "delivered", "undelivered", "expired")
    while len(out) < count:
        key = {
            "account_id": rnd.randint(1, 3),
            "day": f"2026-{rnd.choice(('01', '02'))}-{rnd.randint(1, 3):02d}",
            "area": rnd.choice(("Russia", "Ukraine", "")),
            "sender": rnd.choice(("Shop", "Bank")),
            "campaign": rnd.choice(("", "spring")),
            "hour": rnd.choice((None, "00", "13", "23")),
            "connector": rnd.choice((None, "", "simulator", "smpp")),
        }
        parts = rnd.randint(1, 4)
        cost = parts * rnd.choice((0, 10_000, 1_500_000))
        path = statuses[: rnd.randint(1, len(statuses))]
        out.append({**key, "status": path[0], "messages": 1, "parts": parts, "cost_micros": cost})
        for before, after in itertools.pairwise(path):
            out.append(
                {**key, "status": before, "messages": -1, "parts": -parts, "cost_micros": -cost}
            )
            out.append({**key, "status": after, "messages": 1, "parts": parts, "cost_micros": cost})
    return out[:count]


async def _rows(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    found: dict[str, set[tuple[Any, ...]]] = {}
    async with db.read() as conn:
        for table in TABLES:
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            found[table] = {
                tuple(r) for r in rows if (r.messages, r.parts, r.cost_micros) != (0, 0, 0)
            }
        left = await conn.scalar(text("SELECT count(*) FROM message_stats_delta"))
    assert 0 == left
    return found


@pytest.fixture(params=DATABASES)
async def two(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Database, Database]]:
    async with contextlib.AsyncExitStack() as stack:
        urls = [f"sqlite:///{tmp_path / f'{n}.db'}" for n in ("set", "rows")]
        if request.param == "postgresql":
            urls = [await stack.enter_async_context(fresh_postgres_database()) for _ in urls]
        dbs = []
        for url in urls:
            db = await Database.open(url)
            stack.push_async_callback(db.close)
            await db.migrate()
            dbs.append(db)
        yield dbs[0], dbs[1]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_set_based_fold_equals_the_row_by_row_fold(
    two: tuple[Database, Database], seed: int
) -> None:
    set_db, rows_db = two
    by_set, by_rows = SqlStatsStore(set_db), SqlStatsStore(rows_db)
    rnd = random.Random(seed)
    deltas = _deltas(seed, 3000)
    while deltas:  # rounds: new deltas arrive, a fold takes some of them (the summary grows)
        size = rnd.randint(1, 700)
        batch, deltas = deltas[:size], deltas[size:]
        for db in (set_db, rows_db):
            async with db.write() as conn:
                await conn.execute(insert(message_stats_delta), batch)
        limit = rnd.randint(1, 1000)
        assert await by_set.fold(limit) == await by_rows.fold_rows(limit)
    while await by_set.fold(500):
        pass
    while await by_rows.fold_rows(500):
        pass
    got, want = await _rows(set_db), await _rows(rows_db)
    assert all(want[t] for t in TABLES)
    assert want == got
