"""Use case: number-base checking (spec §6, C1 ``/api/checking/create``, C2 ``get-status``).

A job checks whether numbers are registered in a messenger (``WA_cheking``, ``Viber_cheking``,
``Telegram_cheking``: the spec's spelling). It is charged per number at the check type's price
when created (``waittopay`` if the money does not cover it: paid, then run, at a later C2 once
topped up), then run by a :class:`NumberChecker`. :class:`SimulatedChecker` answers at once and
deterministically by number (docs/checking.md); a real checker plugs in behind the same port.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Final, Protocol

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.messages import check_phone, normalize_phone
from ..domain.money import Money

__all__ = [
    "CHECK_PRICES",
    "MAX_PHONES",
    "CheckError",
    "CheckKind",
    "CheckResult",
    "CheckingService",
    "CheckingStore",
    "JobState",
    "JobView",
    "NumberChecker",
    "SimulatedChecker",
]

#: Most numbers in one job (bounded peer input).
MAX_PHONES: Final = 100_000


class CheckKind(enum.StrEnum):
    WHATSAPP = "WA_cheking"
    VIBER = "Viber_cheking"
    TELEGRAM = "Telegram_cheking"


class JobState(enum.StrEnum):
    NEW = "new"
    INWORK = "inwork"
    COMPLETE = "complete"
    REJECTED = "rejected"
    WAITTOPAY = "waittopay"


class CheckResult(enum.StrEnum):
    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"
    INVALID = "invalid"


#: Price per number checked, per check type (docs/checking.md).
CHECK_PRICES: Final = MappingProxyType(
    {
        CheckKind.WHATSAPP: Money.parse("0.05"),
        CheckKind.VIBER: Money.parse("0.05"),
        CheckKind.TELEGRAM: Money.parse("0.05"),
    }
)


class CheckError(Exception):
    """The request is refused (``Wrong data ...``)."""


@dataclass(frozen=True, slots=True)
class JobView:
    id: int
    kind: CheckKind
    name: str
    state: JobState
    total_phones: int
    cost: Money
    created_at: datetime
    results: tuple[tuple[str, CheckResult], ...] = ()


class NumberChecker(Protocol):
    async def check(
        self, kind: CheckKind, phones: Sequence[str]
    ) -> Mapping[str, CheckResult] | None:
        """Results for every phone, or None while the job is still running (poll again)."""
        ...


class SimulatedChecker:
    """Deterministic by number, like the carrier simulator's magic numbers: a number ending
    in ``0000`` is invalid; otherwise it is registered unless its last two digits plus the
    check type's index (WA 0, Viber 1, Telegram 2) are divisible by 3."""

    async def check(self, kind: CheckKind, phones: Sequence[str]) -> Mapping[str, CheckResult]:
        index = list(CheckKind).index(kind)
        return {p: simulated_result(kind, p, index) for p in phones}


def simulated_result(kind: CheckKind, phone: str, index: int | None = None) -> CheckResult:
    if index is None:
        index = list(CheckKind).index(kind)
    if phone.endswith("0000"):
        return CheckResult.INVALID
    if (int(phone[-2:]) + index) % 3 == 0:
        return CheckResult.NOT_REGISTERED
    return CheckResult.REGISTERED


class CheckingStore(Protocol):
    async def create(
        self,
        account_id: int,
        kind: str,
        name: str,
        phones: Sequence[str],
        cost: Money,
        now: datetime,
    ) -> JobView:
        """Store the job and charge ``cost`` if the balance covers it (state ``new``), else
        store it ``waittopay``."""
        ...

    async def jobs(self, account_id: int, ids: Sequence[int]) -> list[JobView]: ...
    async def pay(self, account_id: int, job_id: int, now: datetime) -> bool: ...
    async def phones(self, job_id: int) -> list[str]: ...
    async def complete(
        self, job_id: int, results: Mapping[str, CheckResult], now: datetime
    ) -> None: ...
    async def results(self, account_id: int, job_id: int) -> JobView | None: ...


class CheckingService:
    def __init__(
        self,
        store: CheckingStore,
        checker: NumberChecker,
        clock: Clock,
        prices: Mapping[CheckKind, Money] = CHECK_PRICES,
    ) -> None:
        self._store = store
        self._checker = checker
        self._clock = clock
        self._prices = prices

    async def create(self, account: Account, kind: str, name: str, raw_phones: str) -> JobView:
        """C1. ``raw_phones``: one number per line (``+``, spaces, dashes allowed)."""
        try:
            check = CheckKind(kind.strip())
        except ValueError:
            raise CheckError("Wrong data: type") from None
        lines = [line.strip() for line in raw_phones.splitlines() if line.strip()]
        if len(lines) > MAX_PHONES:
            raise CheckError(f"Wrong data: more than {MAX_PHONES} phones")
        phones = list(dict.fromkeys(normalize_phone(p) for p in lines))
        phones = [p for p in phones if check_phone(p) is None]
        if not phones:
            raise CheckError("Wrong data: phones")
        cost = self._prices[check] * len(phones)
        job = await self._store.create(
            account.id, check.value, name.strip()[:256], phones, cost, self._clock.now()
        )
        return job  # run by the checker from the next C2 on

    async def status(self, account: Account, ids: Sequence[int]) -> list[JobView]:
        """C2: the account's jobs among ``ids`` (unknown ones left out), advanced first."""
        return await self._advance(account, await self._store.jobs(account.id, ids))

    async def results(self, account: Account, job_id: int) -> JobView | None:
        found = await self._store.jobs(account.id, [job_id])
        if found:
            await self._advance(account, found)
        return await self._store.results(account.id, job_id)

    async def _advance(self, account: Account, jobs: Sequence[JobView]) -> list[JobView]:
        now = self._clock.now()
        touched = False
        for job in jobs:
            if job.state is JobState.WAITTOPAY:
                touched |= await self._store.pay(account.id, job.id, now)
        if touched:
            jobs = await self._store.jobs(account.id, [j.id for j in jobs])
        for job in jobs:
            if job.state in (JobState.NEW, JobState.INWORK):
                answer = await self._checker.check(job.kind, await self._store.phones(job.id))
                if answer is not None:
                    await self._store.complete(job.id, answer, now)
                    touched = True
        if touched:
            jobs = await self._store.jobs(account.id, [j.id for j in jobs])
        return list(jobs)
