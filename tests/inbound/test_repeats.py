"""An MO the carrier delivered twice, recognised by the store on SQLite and PostgreSQL (issue 13):
both are stored, the second marked ``repeat_of`` the first, across restarts and processes, in
the 5-minute window of ``services.inbound.MO_REPEAT_WINDOW``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from smsrelay.services.inbound import MoReceived
from smsrelay.store import Database
from smsrelay.store.inbound import SqlInboundStore
from smsrelay.store.schema_inbound import inbound_repeats

T = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)  # the start of a 5-minute slot


def mo(
    at: datetime,
    text: str = "INFO please",
    originator: str = "79161230002",
    connector: str = "smpp",
) -> MoReceived:
    return MoReceived(originator, "3445", text, at, connector)


async def test_a_repeat_is_marked_across_a_restart_and_others_are_not(
    database: Database, database_url: str
) -> None:
    """The same MO 30 s later, stored by a new store on a new connection (a restart), is a
    repeat of the first; another text, sender or connector is not; two in one batch: the
    second is a repeat."""
    [first] = await SqlInboundStore(database).save([mo(T + timedelta(seconds=10))])
    assert first.repeat_of is None
    again = await Database.open(database_url)
    try:
        later = T + timedelta(seconds=40)
        stored = await SqlInboundStore(again).save(
            [
                mo(later),
                mo(later, text="INFO"),
                mo(later, originator="79161230003"),
                mo(later, connector="other"),
                mo(later, originator="79161230003"),
            ]
        )
    finally:
        await again.close()
    assert [first.id, None, None, None, stored[2].id] == [s.repeat_of for s in stored]
    assert len({s.id for s in [first, *stored]}) == 6  # every MO is stored


async def test_repeats_do_not_slide_the_window(database: Database) -> None:
    """First at T; the same 4 min 59 s and 6 min later: repeats (neighbouring slots); 11 min
    after the first it is a new MO, though 5 min after the last repeat (repeats claim
    nothing); claims more than a few slots old are pruned as MOs are stored."""
    store = SqlInboundStore(database)
    minutes = [0.0, 4 + 59 / 60, 6.0, 11.0]
    stored = [(await store.save([mo(T + timedelta(minutes=m))]))[0] for m in minutes]
    first = stored[0].id
    assert [None, first, first, None] == [s.repeat_of for s in stored]
    [much_later] = await store.save([mo(T + timedelta(hours=1))])
    assert much_later.repeat_of is None
    async with database.read() as conn:
        left = await conn.scalar(select(func.count()).select_from(inbound_repeats))
    assert 2 == left  # only the last MO's claims


async def test_two_processes_storing_the_same_mo_at_once(
    database: Database, database_url: str
) -> None:
    """Two processes each receive the carrier's delivery of one MO (two binds) and store it
    at the same moment: exactly one of the two is the first."""
    other = await Database.open(database_url)
    try:
        stores = [SqlInboundStore(database), SqlInboundStore(other)]
        results = await asyncio.gather(
            *(s.save([mo(T + timedelta(seconds=n))]) for n, s in enumerate(stores * 3))
        )
    finally:
        await other.close()
    stored = sorted((r[0] for r in results), key=lambda s: s.id)
    firsts = [s for s in stored if s.repeat_of is None]
    assert 1 == len(firsts)
    assert {firsts[0].id} == {s.repeat_of for s in stored if s.repeat_of is not None}
