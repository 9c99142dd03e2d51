"""Receipts that never come: counted as overdue, asked for with query_sm where the connector
allows it, and the answer applied as a receipt would be (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.domain.status import MessageStatus

from .conftest import eventually
from .test_ready_metrics_status import _sample


@pytest.fixture
async def asking(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    """The default link may be asked (query_sm) after 0.3 s without a receipt."""
    async for p in start_platform(
        database_url, tmp_path, receipt_query_after=0.3, smpp_query_sm=True
    ):
        yield p


@pytest.fixture
async def not_asking(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path, receipt_query_after=0.3):
        yield p


async def test_a_lost_receipt_is_asked_for_and_applied(asking: Platform) -> None:
    """...9004 never gets a receipt; query_sm learns it was delivered: the message becomes
    delivered like a receipt would make it, and the query is counted and kept."""
    p = asking
    await p.account("ann", any_sender=True)
    lost = (await p.send("ann", "79001239004"))["id_sms"]
    assert {lost: MessageStatus.DELIVERED} == await p.waiter.final([lost])
    assert "deliver" == (await p.state("ann", lost))["state"]  # the wire word (spec §2)

    text = (await p.http.get("/metrics")).text
    assert 1.0 == _sample(text, "smsrelay_receipt_queries_total", connector="simulator",
                          result="final")  # fmt: skip
    assert 1.0 == _sample(text, "smsrelay_messages_final_total", status="delivered")
    assert 0.0 == _sample(text, "smsrelay_receipts_overdue")

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smsrelay", "messages", "show", str(lost), "--json",
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "SMSRELAY_DATABASE_URL": p.runtime.settings.database_url},
    )  # fmt: skip
    out, _ = await proc.communicate()
    doc = json.loads(out)
    assert [(1, 1, "delivered")] == [
        (q["part_no"], q["attempts"], q["result"]) for q in doc["receipt_queries"]
    ]


async def test_without_query_sm_the_message_waits_and_is_counted_overdue(
    not_asking: Platform,
) -> None:
    """A connector that does not allow query_sm is never asked: the message stays submitted
    (finalised at validity end as before) and shows as overdue in /metrics and status."""
    p = not_asking
    await p.account("bob", any_sender=True)
    lost = (await p.send("bob", "79001239004"))["id_sms"]
    text = await eventually(
        lambda: _metrics(p), lambda t: _sample(t, "smsrelay_receipts_overdue") == 1.0
    )
    assert _sample(text, "smsrelay_receipt_queries_total", connector="simulator",
                   result="final") is None  # fmt: skip
    status = (await p.http.get("/status.json")).json()
    assert 1 == status["receipts_overdue"]
    assert "send" == (await p.state("bob", lost))["state"]  # still waiting for its receipt
    assert MessageStatus.DELIVERED is not p.waiter.latest.get(lost)


async def _metrics(p: Platform) -> str:
    return (await p.http.get("/metrics")).text
