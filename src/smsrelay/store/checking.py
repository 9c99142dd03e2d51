"""Number-base checking jobs (the ``CheckingStore`` port): the job, its charge, its results.

Creating a job and charging it happen in one transaction (the balance row locked, a ledger
row ``checking``); a job the money does not cover is stored ``waittopay`` and charged by
:meth:`SqlCheckingStore.pay` once it can be, exactly once (the state guard in the update).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.money import Money
from ..services.checking import CheckKind, CheckResult, JobState, JobView
from .database import Database
from .ledger import BALANCE_CHANGE
from .schema import accounts, ledger
from .schema_checking import checking_jobs, checking_phones

__all__ = ["SqlCheckingStore"]

j = checking_jobs
_SET_RESULT = (
    update(checking_phones)
    .where(
        checking_phones.c.job_id == bindparam("b_job"),
        checking_phones.c.phone == bindparam("b_phone"),
    )
    .values(result=bindparam("b_result"))
)


async def _charge(conn: AsyncConnection, account_id: int, micros: int, now: datetime) -> None:
    """Debit a job's price with its ``checking`` ledger row."""
    if micros <= 0:
        return
    await conn.execute(BALANCE_CHANGE, [{"b_account": account_id, "b_amount": -micros}])
    await conn.execute(
        insert(ledger).values(
            account_id=account_id, amount_micros=-micros, kind="checking", created_at=now
        )
    )


def _view(r: Any, results: tuple[tuple[str, CheckResult], ...] = ()) -> JobView:
    return JobView(
        id=int(r.id),
        kind=CheckKind(r.kind),
        name=r.name,
        state=JobState(r.state),
        total_phones=int(r.total_phones),
        cost=Money(int(r.cost_micros)),
        created_at=r.created_at,
        results=results,
    )


class SqlCheckingStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _balance(self, conn: AsyncConnection, account_id: int) -> int:
        query = select(accounts.c.balance_micros).where(accounts.c.id == account_id)
        if self._db.dialect == "postgresql":
            query = query.with_for_update()
        return int(await conn.scalar(query) or 0)

    async def create(
        self,
        account_id: int,
        kind: str,
        name: str,
        phones: Sequence[str],
        cost: Money,
        now: datetime,
    ) -> JobView:
        async with self._db.write() as conn:
            paid = await self._balance(conn, account_id) >= cost.micros
            state = JobState.NEW if paid else JobState.WAITTOPAY
            job_id = await conn.scalar(
                insert(j)
                .values(
                    account_id=account_id,
                    kind=kind,
                    name=name,
                    state=state.value,
                    total_phones=len(phones),
                    cost_micros=cost.micros,
                    created_at=now,
                )
                .returning(j.c.id)
            )
            assert job_id is not None
            await conn.execute(
                insert(checking_phones),
                [{"job_id": job_id, "phone": p, "result": None} for p in phones],
            )
            if paid:
                await _charge(conn, account_id, cost.micros, now)
            row = (await conn.execute(select(j).where(j.c.id == job_id))).one()
        return _view(row)

    async def pay(self, account_id: int, job_id: int, now: datetime) -> bool:
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    select(j.c.cost_micros).where(
                        j.c.id == job_id,
                        j.c.account_id == account_id,
                        j.c.state == JobState.WAITTOPAY.value,
                    )
                )
            ).first()
            if row is None or await self._balance(conn, account_id) < int(row.cost_micros):
                return False
            moved = await conn.execute(
                update(j)
                .where(j.c.id == job_id, j.c.state == JobState.WAITTOPAY.value)
                .values(state=JobState.NEW.value)
            )
            if moved.rowcount != 1:
                return False
            await _charge(conn, account_id, int(row.cost_micros), now)
        return True

    async def jobs(self, account_id: int, ids: Sequence[int]) -> list[JobView]:
        wanted = sorted({int(i) for i in ids if 0 < int(i) < 2**63})
        if not wanted:
            return []
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(j)
                .where(j.c.account_id == account_id, self._db.one_of(j.c.id, wanted))
                .order_by(j.c.id)
            )
            return [_view(r) for r in rows]

    async def phones(self, job_id: int) -> list[str]:
        async with self._db.read() as conn:
            return list(
                await conn.scalars(
                    select(checking_phones.c.phone)
                    .where(checking_phones.c.job_id == job_id)
                    .order_by(checking_phones.c.phone)
                )
            )

    async def complete(
        self, job_id: int, results: Mapping[str, CheckResult], now: datetime
    ) -> None:
        async with self._db.write() as conn:
            done = await conn.execute(
                update(j)
                .where(j.c.id == job_id, j.c.state.in_((JobState.NEW.value, JobState.INWORK.value)))
                .values(state=JobState.COMPLETE.value, done_at=now)
            )
            if done.rowcount != 1:
                return
            await conn.execute(
                _SET_RESULT,
                [
                    {"b_job": job_id, "b_phone": p, "b_result": r.value}
                    for p, r in sorted(results.items())
                ],
            )

    async def results(self, account_id: int, job_id: int) -> JobView | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(select(j).where(j.c.id == job_id, j.c.account_id == account_id))
            ).first()
            if row is None:
                return None
            found = await conn.execute(
                select(checking_phones.c.phone, checking_phones.c.result)
                .where(checking_phones.c.job_id == job_id)
                .order_by(checking_phones.c.phone)
            )
            results = tuple((p.phone, CheckResult(p.result)) for p in found if p.result is not None)
        return _view(row, results)
