"""The overview's per-day counts: local days of the account, settled days read once, recent
days every time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from smsrelay.clock import FakeClock, OffsetClock
from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.money import Money
from smsrelay.services.cabinet import CabinetService, DayStats, StatusGroup


class FakeQueries:
    def __init__(self, days: dict[date, int]) -> None:
        self.days = days
        self.asked: list[tuple[datetime, int]] = []

    async def daily(self, account_id: int, since: datetime, offset_hours: int) -> list[DayStats]:
        self.asked.append((since, offset_hours))
        local_first = (since + timedelta(hours=offset_hours)).date()
        return [
            DayStats(d, {StatusGroup.DELIVERED: n}, Money(0))
            for d, n in sorted(self.days.items())
            if d >= local_first
        ]


ACCOUNT = Account(1, "a", Lang.RU, False, False, Money(0))


async def test_settled_days_are_read_once_and_recent_days_always() -> None:
    clock = OffsetClock()
    today = (clock.now() + timedelta(hours=3)).date()  # the account's day: Moscow time
    q = FakeQueries({today - timedelta(days=10): 5, today: 1})
    svc = CabinetService(q, None, clock)  # type: ignore[arg-type]
    first = await svc.daily(ACCOUNT, 30)
    q.days[today] = 7  # more messages today
    q.days[today - timedelta(days=10)] = 999  # cannot happen to a settled day: proves the cache
    second = await svc.daily(ACCOUNT, 30)
    assert [5, 1] == [d.total for d in first]
    assert [5, 7] == [d.total for d in second]
    midnight = datetime.combine(today, datetime.min.time(), UTC) - timedelta(hours=3)
    assert (midnight - timedelta(days=29), 3) == q.asked[0]
    assert (midnight - timedelta(days=3), 3) == q.asked[1]  # only the unsettled days again


async def test_a_day_is_the_accounts_local_day() -> None:
    """At 22:30 UTC it is already tomorrow in Moscow (+3) and still today at UTC-12 (-15)."""
    clock = FakeClock(datetime(2026, 3, 10, 22, 30, tzinfo=UTC))
    q = FakeQueries({date(2026, 3, 11): 4, date(2026, 3, 10): 2})
    moscow = await CabinetService(q, None, clock).daily(ACCOUNT, 1)  # type: ignore[arg-type]
    assert [(date(2026, 3, 11), 4)] == [(d.day, d.total) for d in moscow]
    assert (datetime(2026, 3, 10, 21, tzinfo=UTC), 3) == q.asked[-1]
    west = Account(2, "w", Lang.RU, False, False, Money(0), tz_offset_hours=-15)
    q.days = {date(2026, 3, 10): 2}
    await CabinetService(q, None, clock).daily(west, 1)  # type: ignore[arg-type]
    assert (datetime(2026, 3, 10, 12, tzinfo=UTC), -12) == q.asked[-1]
