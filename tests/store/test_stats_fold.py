"""The set-based statistics folds (``store/stats_fold.py``) add up exactly: random deltas,
signed as status changes write them, arrive and are folded in rounds of random sizes; once
all are folded, the daily, monthly, hourly and per-connector summaries equal the sums made
here in Python over every delta (rows that sum to nothing aside), on both databases."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import insert, text

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


def _expected(deltas: list[dict[str, Any]]) -> dict[str, set[tuple[Any, ...]]]:
    """Each summary's rows, added up over ``deltas``: the keys as the summaries spell them."""
    keys: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
        "message_stats": lambda d: (
            d["account_id"],
            d["day"],
            d["status"],
            d["area"],
            d["sender"],
            d["campaign"],
        ),
        "message_stats_monthly": lambda d: (
            d["account_id"],
            d["day"][:7],
            d["status"],
            d["area"],
            d["sender"],
            d["campaign"],
        ),
        "message_stats_hourly": lambda d: (d["account_id"], f"{d['day']} {d['hour']}", d["status"]),
        "message_stats_connector": lambda d: (d["day"], d["connector"] or "", d["status"]),
    }
    out: dict[str, set[tuple[Any, ...]]] = {}
    for table, key in keys.items():
        sums: dict[tuple[Any, ...], tuple[int, int, int]] = {}
        for d in deltas:
            if table in ("message_stats_hourly", "message_stats_connector") and d["hour"] is None:
                continue  # deltas from before 0105 feed the daily and monthly rows only
            m, p, c = sums.get(key(d), (0, 0, 0))
            sums[key(d)] = (m + d["messages"], p + d["parts"], c + d["cost_micros"])
        out[table] = {(*k, *v) for k, v in sums.items() if v != (0, 0, 0)}
    return out


async def _rows(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    found: dict[str, set[tuple[Any, ...]]] = {}
    async with db.read() as conn:
        for table in TABLES:
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            found[table] = {
                tuple(int(v) if isinstance(v, int) else v for v in r)
                for r in rows
                if (r.messages, r.parts, r.cost_micros) != (0, 0, 0)
            }
        left = await conn.scalar(text("SELECT count(*) FROM message_stats_delta"))
    assert 0 == left
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_set_based_fold_adds_up_every_delta(database: Database, seed: int) -> None:
    stats = SqlStatsStore(database)
    rnd = random.Random(seed)
    deltas = _deltas(seed, 3000)
    waiting = list(deltas)
    while waiting:  # rounds: new deltas arrive, a fold takes some (the summaries grow)
        size = rnd.randint(1, 700)
        batch, waiting = waiting[:size], waiting[size:]
        async with database.write() as conn:
            await conn.execute(insert(message_stats_delta), batch)
        await stats.fold(rnd.randint(1, 1000))
    while await stats.fold(500):
        pass
    want = _expected(deltas)
    assert all(want[t] for t in TABLES)
    assert want == await _rows(database)
