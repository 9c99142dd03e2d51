"""Claim at acceptance, end to end: the accepting transaction hands due SMS straight to the
engine as far as it has free slots; the rest stay queued and the engine claims them. Every
message is delivered once, whichever way it went."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from smsrelay.domain.status import MessageStatus

from .conftest import start_platform


async def test_a_batch_beyond_the_free_slots_is_delivered_whole(
    database_url: str, tmp_path: Path
) -> None:
    async for platform in start_platform(database_url, tmp_path, max_in_flight=3, claim_batch=1):
        engine = platform.runtime.engine
        assert engine is not None
        await platform.account("ivan", balance="100", any_sender=True)
        async with asyncio.timeout(10):  # before the bind nothing is handed over
            for connector in platform.runtime.connectors:
                await connector.wait_ready()
        body = {
            **platform.creds["ivan"],
            "message": [
                {
                    "type_send_1": "sms",
                    "sender": "Shop",
                    "text": "hello",
                    "phones": [{"phone": f"790012300{n:02d}"} for n in range(20)],
                }
            ],
        }
        info = (await platform.post("/json", body))["information"]
        ids = [e["id_sms"] for e in info]
        assert 20 == len(set(ids))
        finals = await platform.waiter.final(ids)
        assert {MessageStatus.DELIVERED} == set(finals.values())
        assert 20 == engine.stats["claimed"] == engine.stats["submitted"]
        # both ways were taken (a claim running at that moment holds one slot: claim_batch)
        assert 1 <= engine.stats["handed_over"] < 20
        async with platform.runtime.stores.db.read() as conn:
            attempts = (await conn.execute(text("SELECT attempts FROM messages"))).scalars()
            assert [1] * 20 == list(attempts)  # each submitted once, handed over or claimed
