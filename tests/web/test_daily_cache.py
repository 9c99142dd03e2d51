"""The overview's per-day counts: settled days are read once, recent days every time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from smsrelay.clock import OffsetClock
from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.money import Money
from smsrelay.services.cabinet import CabinetService, DayStats, StatusGroup


class FakeQueries:
    def __init__(self, days: dict[date, int]) -> None:
        self.days = days
        self.asked: list[datetime] = []

    async def daily(self, account_id: int, since: datetime) -> list[DayStats]:
        self.asked.append(since)
        return [
            DayStats(d, {StatusGroup.DELIVERED: n}, Money(0))
            for d, n in sorted(self.days.items())
            if d >= since.date()
        ]


ACCOUNT = Account(1, "a", Lang.RU, False, False, Money(0))


async def test_settled_days_are_read_once_and_recent_days_always() -> None:
    clock = OffsetClock()
    today = clock.now().date()
    q = FakeQueries({today - timedelta(days=10): 5, today: 1})
    svc = CabinetService(q, None, clock)  # type: ignore[arg-type]
    first = await svc.daily(ACCOUNT, 30)
    q.days[today] = 7  # more messages today
    q.days[today - timedelta(days=10)] = 999  # cannot happen to a settled day: proves the cache
    second = await svc.daily(ACCOUNT, 30)
    assert [5, 1] == [d.total for d in first]
    assert [5, 7] == [d.total for d in second]
    midnight = datetime.combine(today, datetime.min.time(), UTC)
    assert midnight - timedelta(days=29) == q.asked[0]
    assert midnight - timedelta(days=3) == q.asked[1]  # only the unsettled days again
