"""A provider's status that arrives before its send is written (an orphan) is applied once the
send is written: in the process that sent it, and in an HTTP-only process that only receives
callbacks. The two writes overlap, so each test holds them in the one order that lost the
status before (the orphan is made after the send's write looked for orphans), on a real
platform and database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime

import pytest

from smsrelay.delivery.viber_connector import HttpViberConfig, HttpViberProvider
from smsrelay.delivery.viber_dispatch import ViberDispatcher, ViberDispatchSettings
from smsrelay.domain.status import MessageStatus
from smsrelay.services.cascade import CallbackVerdict, ViberApplied, ViberSendRecord
from smsrelay.services.cascade import ViberStatusRecord as Status
from smsrelay.services.ports import StatusChange

from .conftest import ViberPlatform, Waiter

WAIT = 20.0  # a bound on awaiting an event on a busy machine, never a duration waited for


class _Interleave:
    """Wraps the platform's Viber store so that the send's write waits for a status to be
    found unmatched, and that status's write returns only after the send's write is done."""

    def __init__(self, p: ViberPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
        self._store = p.store
        self._record_sends = p.store.record_sends
        self._apply = p.store.apply_statuses
        self.unmatched = asyncio.Event()
        self.recorded = asyncio.Event()
        self.provider_ids: asyncio.Queue[str] = asyncio.Queue()
        monkeypatch.setattr(p.store, "record_sends", self.record_sends)
        monkeypatch.setattr(p.store, "apply_statuses", self.apply_statuses)

    async def record_sends(
        self, records: Sequence[ViberSendRecord], now: datetime
    ) -> list[StatusChange]:
        for r in records:
            if r.provider_id:
                self.provider_ids.put_nowait(r.provider_id)
        await self.unmatched.wait()
        try:
            return await self._record_sends(records, now)
        finally:
            self.recorded.set()

    async def apply_statuses(self, records: Sequence[Status]) -> ViberApplied:
        applied = await self._apply(records)
        if applied.unmatched and not self.unmatched.is_set():
            self.unmatched.set()
            await self.recorded.wait()
        return applied


async def test_a_status_orphaned_after_its_send_was_written_is_applied(
    lite: ViberPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Interleave(lite, monkeypatch)
    id_sms = await lite.viber("79001230001")  # the simulator calls back "delivered" at once
    async with asyncio.timeout(WAIT):
        assert MessageStatus.DELIVERED == await lite.waiter.final(id_sms)


async def test_an_http_only_process_applies_a_status_that_came_before_the_send(
    lite: ViberPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built as ``bootstrap`` builds it for an HTTP-only worker: it never sends, and the status
    it was given before worker 0 wrote the send is applied once the send is written."""
    gate = _Interleave(lite, monkeypatch)
    callbacks = ViberDispatcher(
        lite.runtime.stores.queue,
        lite.store,
        HttpViberProvider(HttpViberConfig("viber"), ""),
        lite.clock,
        ViberDispatchSettings(poll_interval=0.05),
    )
    child = Waiter()
    callbacks.add_listener(child)
    await callbacks.start_callbacks()
    try:
        id_sms = await lite.viber("79001239004")  # accepted; the simulator never calls back
        async with asyncio.timeout(WAIT):
            provider_id = await gate.provider_ids.get()
            body = json.dumps({"message_id": provider_id, "status": "delivered"}).encode()
            verdict = await callbacks.callback("viber", body, {})
            assert CallbackVerdict.ACCEPTED == verdict
            assert MessageStatus.DELIVERED == await child.final(id_sms)
    finally:
        await callbacks.stop()
