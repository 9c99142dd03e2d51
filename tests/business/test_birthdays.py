"""Birthday greetings: scheduled a day ahead at the configured time, visible in X15, charged,
sent once however many passes run (restart-safe through the exactly-once client id)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import text as sql

from e2e.conftest import Platform, start_platform
from smsrelay.services.birthdays import BirthdayScheduler, greeting_instant


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p


def xml(login: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><request><security>'
        f'<login value="{login}"/><password value="pw-{login}"/></security>{body}</request>'
    ).encode()


async def call(p: Platform, path: str, login: str, body: str) -> ElementTree.Element:
    return ElementTree.fromstring((await p.post_raw(path, xml(login, body))).content)


def test_greeting_instant() -> None:
    """Moscow 10:00 one day before 5 March is 4 March 07:00 UTC; 29 February falls on the
    28th in a common year."""
    at = greeting_instant(date(1990, 3, 5), 2027, time(10, 0), 1, timedelta(hours=3))
    assert datetime(2027, 3, 4, 7, 0, tzinfo=UTC) == at
    leap = greeting_instant(date(2000, 2, 29), 2027, time(0, 0), 0, timedelta(0))
    assert datetime(2027, 2, 28, tzinfo=UTC) == leap


async def messages(p: Platform) -> list[tuple[str, str, str, str]]:
    async with p.runtime.stores.db.read() as conn:
        rows = await conn.execute(sql("SELECT phone, sender, text, status FROM messages"))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_greeting_is_scheduled_shown_charged_and_sent_once(platform: Platform) -> None:
    await platform.account("gym", balance="10", any_sender=True)
    target = platform.clock.now() + timedelta(hours=2)  # greeting instant (UTC)
    local = target + timedelta(hours=3)  # the account's (Moscow) time
    born = (local.date() + timedelta(days=1)).replace(year=1990)
    hhmm = local.strftime("%H:%M")
    created = await call(
        platform,
        "/xml/bases.php",
        "gym",
        f'<bases><base number_base="1" name_base="Members" time_birth="{hhmm}"'
        ' local_time_birth="no" day_before="1" originator_birth="Fitness" on_birth="yes">'
        "С днём рождения, {name}!</base></bases>",
    )
    base = created.find("base").get("id_base")  # type: ignore[union-attr]
    await call(
        platform,
        "/xml/phones.php",
        "gym",
        f'<base id_base="{base}"><phone phone="79001234561" name="Ира"'
        f' date_birth="{born.isoformat()}" number_phone="1"/>'
        '<phone phone="79001234562" name="Без даты" number_phone="2"/></base>',
    )
    scheduler: BirthdayScheduler = platform.runtime.extras["birthdays"]
    assert 1 == await scheduler.run_once()
    assert 1 == await scheduler.run_once()  # a second pass (or a restart): a duplicate
    assert [("79001234561", "Fitness", "С днём рождения, Ира!", "scheduled")] == (
        await messages(platform)
    )
    listed = await call(platform, "/xml/list_scheduled.php", "gym", '<scheduled page="1"/>')
    [row] = listed.iter("scheduled")
    assert ("Fitness", "Birthday", local.strftime("%Y-%m-%d %H:%M")) == (
        row.get("originator"),
        row.get("name_delivery"),
        row.get("time_send"),
    )
    assert "9" == (await platform.balance("gym"))["money"]
    platform.clock.advance(3 * 3600)  # past the greeting: released, sent
    async with platform.runtime.stores.db.read() as conn:
        [greeting_id] = (await conn.execute(sql("SELECT id FROM messages"))).scalars().all()
    final = await platform.waiter.final([int(greeting_id)])
    assert "delivered" == final[int(greeting_id)].value
    await scheduler.run_once()  # within the grace period: still the same greeting
    assert 1 == len(await messages(platform))
    assert "9" == (await platform.balance("gym"))["money"]
