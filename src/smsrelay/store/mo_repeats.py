"""Recognising an MO the carrier delivered twice, inside the transaction that stores it.

SMPP 3.4 gives a mobile-originated deliver_sm no id of its own, so a carrier that sends the
same MO again (its deliver_sm_resp lost, a bind dropped) cannot be told apart by id. Each MO
claims two time slots of its identity (``services.inbound.repeat_identity``) in
``inbound_repeats``, whose key is (identity, slot): an MO one of whose slots is already claimed
is a repeat of the claimer (``StoredMo.repeat_of``). A repeat claims nothing (the window never
slides along a chain of repeats). The claims are in the database, so a repeat is recognised
across restarts and processes: on PostgreSQL a second transaction inserting the same key waits
for the first and then finds it; SQLite writes one transaction at a time.

Round trips per batch: one read of the batch's claims, one insert of the new ones (``ON
CONFLICT DO NOTHING ... RETURNING``: what another process claimed meanwhile comes back missing,
and that MO is a repeat too), one delete of old claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..services.inbound import MO_REPEAT_WINDOW, MoReceived, repeat_identity
from .accounts import dialect_insert
from .database import Database
from .schema_inbound import inbound_repeats

__all__ = ["mark_repeats"]

_R = inbound_repeats.c
_KEEP_SLOTS = 4  # claims this many slots older than the batch's oldest are pruned


async def mark_repeats(
    conn: AsyncConnection,
    db: Database,
    stored: Sequence[tuple[int, MoReceived]],
    window: timedelta = MO_REPEAT_WINDOW,
) -> dict[int, int]:
    """Claim the slots of the just-inserted MOs ``(id, mo)`` (in arrival order); the repeats
    among them: ``{id: id of the MO it repeats}``."""
    if not stored:
        return {}
    keys = {mid: repeat_identity(mo, window) for mid, mo in stored}
    wanted = {(identity, slot) for identity, slots in keys.values() for slot in slots}
    claimed = await _claims(conn, db, wanted)
    repeats: dict[int, int] = {}
    mine: dict[tuple[str, int], int] = {}  # the claims this batch makes
    for mid, _mo in stored:
        identity, slots = keys[mid]
        first = next((claimed[(identity, s)] for s in slots if (identity, s) in claimed), None)
        if first is None:
            first = next((mine[(identity, s)] for s in slots if (identity, s) in mine), None)
        if first is not None:
            repeats[mid] = first
            continue
        for s in slots:
            mine[(identity, s)] = mid
    if mine:
        rows = [{"identity": i, "slot": s, "message_id": m} for (i, s), m in mine.items()]
        stmt = dialect_insert(db, inbound_repeats).values(rows)
        stmt = stmt.on_conflict_do_nothing(index_elements=[_R.identity, _R.slot])  # type: ignore[attr-defined]
        taken = {
            (r.identity, int(r.slot))
            for r in await conn.execute(stmt.returning(_R.identity, _R.slot))
        }
        lost = {key: mid for key, mid in mine.items() if key not in taken}
        if lost:  # another process claimed them meanwhile: those MOs are its repeats
            await _raced(conn, db, keys, mine, lost, repeats)
    oldest = min(slots[0] for _, slots in keys.values())
    await conn.execute(delete(inbound_repeats).where(_R.slot < oldest - _KEEP_SLOTS))
    return repeats


async def _claims(
    conn: AsyncConnection, db: Database, wanted: set[tuple[str, int]]
) -> dict[tuple[str, int], int]:
    identities = sorted({i for i, _ in wanted})
    query = select(_R.identity, _R.slot, _R.message_id).where(db.one_of(_R.identity, identities))
    return {
        (r.identity, int(r.slot)): int(r.message_id)
        for r in await conn.execute(query)
        if (r.identity, int(r.slot)) in wanted
    }


async def _raced(
    conn: AsyncConnection,
    db: Database,
    keys: dict[int, tuple[str, tuple[int, int]]],
    mine: dict[tuple[str, int], int],
    lost: dict[tuple[str, int], int],
    repeats: dict[int, int],
) -> None:
    """MOs that lost a slot to another process: repeats of its MO; the other slot they did
    claim is given back."""
    theirs = await _claims(conn, db, set(lost))
    losers = set(lost.values())
    for mid in sorted(losers):
        identity, slots = keys[mid]
        found = [theirs[(identity, s)] for s in slots if (identity, s) in theirs]
        if found:
            repeats[mid] = min(found)
    give_back = [key for key, mid in mine.items() if mid in losers and key not in lost]
    if give_back:
        await conn.execute(
            delete(inbound_repeats).where(
                or_(*(and_(_R.identity == i, _R.slot == s) for i, s in give_back))
            )
        )
