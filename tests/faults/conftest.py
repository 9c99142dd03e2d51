"""The fault suite's harness: the whole platform in this process (as in ``tests/e2e``) with the
SMPP connector tuned for fast recovery, plus the books check every fault test ends with."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from e2e.conftest import Platform, start_platform
from smsrelay.bootstrap import Runtime
from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.simulator.smsc import Smsc
from smsrelay.store.schema import accounts, ledger, messages

#: the connector recovers fast here: tests must not wait for production back-offs.
FAST_CONNECTOR: dict[str, Any] = {
    "reconnect_min": 0.05,
    "reconnect_max": 0.5,
    "throttle_backoff": 0.01,
    "max_throttle_retries": 20,
    "response_timeout": 0.5,
    "link_wait": 10.0,
}


async def fault_platform(
    database_url: str, tmp: Path, connector: dict[str, Any] | None = None, **overrides: Any
) -> AsyncIterator[Platform]:
    def fast_links(runtime: Runtime) -> None:
        for c in runtime.connectors:  # before start: the first bind already uses these
            c.config = replace(c.config, **{**FAST_CONNECTOR, **(connector or {})})

    async for p in start_platform(
        database_url,
        tmp,
        prices=(("7", "1.00", "Russia"),),
        before_start=fast_links,
        http_timeout=30.0,
        **overrides,
    ):
        yield p


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in fault_platform(database_url, tmp_path):
        yield p


def smsc_of(platform: Platform) -> Smsc:
    assert platform.runtime.simulator is not None
    return platform.runtime.simulator


async def send_bulk(platform: Platform, login: str, phones: Iterable[str], text: str) -> list[int]:
    """One request per 50 phones; returns every id_sms the platform answered with."""
    phones = list(phones)
    ids: list[int] = []
    for start in range(0, len(phones), 50):
        chunk = phones[start : start + 50]
        body = {
            **platform.creds[login],
            "message": [
                {
                    "type_send_1": "sms",
                    "sender": "Shop",
                    "text": text,
                    "phones": [{"phone": p} for p in chunk],
                }
            ],
        }
        info = (await platform.post("/json", body))["information"]
        assert ["send"] * len(chunk) == [e.get("state") for e in info], info[:3]
        ids.extend(int(e["id_sms"]) for e in info)
    return ids


def phones(count: int, first: int = 0) -> list[str]:
    """Distinct Russian numbers that end in 0000 (no magic outcome)."""
    return [f"79{first + i:05d}0000" for i in range(count)]


@dataclass(frozen=True)
class Books:
    statuses: dict[MessageStatus, int]
    messages: int
    charged_micros: int  # what the ledger debited (positive)
    refunded_micros: int
    expected_charge_micros: int  # sum of price * parts over the account's messages
    balance_micros: int


async def books(platform: Platform, login: str) -> Books:
    """The account's messages and ledger, straight from the database."""
    db = platform.runtime.stores.db
    async with db.read() as conn:
        account_id = (
            await conn.execute(
                select(accounts.c.id, accounts.c.balance_micros).where(accounts.c.login == login)
            )
        ).one()
        rows = (
            await conn.execute(
                select(
                    messages.c.status,
                    func.count(),
                    func.sum(messages.c.parts * messages.c.price_micros),
                )
                .where(messages.c.account_id == account_id.id)
                .group_by(messages.c.status)
            )
        ).all()
        sums = {
            str(k): v
            for k, v in (
                await conn.execute(
                    select(ledger.c.kind, func.sum(ledger.c.amount_micros))
                    .where(ledger.c.account_id == account_id.id)
                    .group_by(ledger.c.kind)
                )
            ).all()
        }
    return Books(
        statuses={MessageStatus(r[0]): int(r[1]) for r in rows},
        messages=sum(int(r[1]) for r in rows),
        charged_micros=-int(sums.get("charge", 0) or 0),
        refunded_micros=int(sums.get("refund", 0) or 0),
        expected_charge_micros=sum(int(r[2] or 0) for r in rows),
        balance_micros=int(account_id.balance_micros),
    )


async def assert_all_delivered(
    platform: Platform, login: str, ids: list[int], start_balance: str, within: float = 60.0
) -> Books:
    """Every id reaches ``delivered``; the ledger debited each part exactly once, refunded
    nothing, and the balance agrees."""
    final = await platform.waiter.final(ids, timeout=within)
    assert {MessageStatus.DELIVERED} == set(final.values())
    b = await books(platform, login)
    assert {MessageStatus.DELIVERED: len(ids)} == b.statuses
    assert (b.expected_charge_micros, 0) == (b.charged_micros, b.refunded_micros)
    assert Money.parse(start_balance).micros - b.charged_micros == b.balance_micros
    return b
