"""Store test kit: the three adapters on one database, and builders for accounts and messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from smsrelay.clock import utc
from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.messages import Channel, NewMessage, OutboundMessage
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry
from smsrelay.services.ports import (
    Accepted,
    AcceptRequest,
    AcceptResult,
    PartAccepted,
    SubmitRecord,
)
from smsrelay.store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore

NOW = utc(2026, 1, 1, 12, 0, 0)
#: ``@pytest.mark.parametrize("database_url", [POSTGRES_ONLY], indirect=True)``
POSTGRES_ONLY = pytest.param("postgresql", marks=pytest.mark.postgres, id="postgresql")
LEASE = timedelta(seconds=30)
PHONE = "79001234567"


@dataclass
class Kit:
    db: Database
    accounts: SqlAccountStore
    messages: SqlMessageStore
    queue: SqlDeliveryQueue

    async def account(
        self,
        login: str = "alice",
        balance: str = "100",
        *,
        any_sender: bool = True,
        token: str | None = None,
        prices: bool = True,
    ) -> Account:
        """An account; by default also the price list ``7`` = 1.00 (Russia), ``380`` = 2.00."""
        if prices:
            await self.accounts.set_price(PriceEntry("7", Money.parse("1"), "Russia"))
            await self.accounts.set_price(PriceEntry("380", Money.parse("2"), "Ukraine"))
        return await self.accounts.create(
            login=login,
            password_hash="argon2-hash",
            token=token,
            balance=Money.parse(balance),
            lang=Lang.RU,
            any_sender=any_sender,
            parent_id=None,
            now=NOW,
        )

    async def accept(
        self, account_id: int, *messages: NewMessage, now: datetime = NOW
    ) -> list[AcceptResult]:
        """One request through accept_batch; its results."""
        [results] = await self.messages.accept_batch([AcceptRequest(account_id, messages)], now)
        return results

    async def accepted_id(self, account_id: int, message: NewMessage) -> int:
        [result] = await self.accept(account_id, message)
        assert isinstance(result, Accepted), result
        return result.id_sms

    async def claim(self, limit: int = 100, now: datetime = NOW) -> list[OutboundMessage]:
        return await self.queue.claim(now, limit, LEASE)

    async def submitted(self, message: OutboundMessage, *carrier_ids: str) -> None:
        """Record that the carrier took every part under the given ids."""
        ids = carrier_ids or tuple(f"c{message.id}-{n}" for n in range(1, message.parts + 1))
        accepted = tuple(PartAccepted(n, cid) for n, cid in enumerate(ids, start=1))
        await self.queue.record_submits([SubmitRecord(message.id, "smsc", accepted)], NOW)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db.read() as conn:
            return await conn.scalar(text(sql), params)

    async def rows(self, sql: str, **params: Any) -> Sequence[Any]:
        async with self.db.read() as conn:
            return (await conn.execute(text(sql), params)).all()


def message(
    account_id: int,
    phone: str = PHONE,
    *,
    sender: str = "Shop",
    parts: int = 1,
    client_id_sms: str | None = None,
    time_send: datetime | None = None,
    valid_until: datetime | None = None,
    channel: Channel = Channel.SMS,
    extra: dict[str, str] | None = None,
) -> NewMessage:
    return NewMessage(
        account_id=account_id,
        phone=phone,
        sender=sender,
        text="hello",
        parts=parts,
        channel=channel,
        client_id_sms=client_id_sms,
        time_send=time_send,
        valid_until=valid_until,
        extra=extra or {},
    )


@pytest.fixture
def kit(database: Database) -> Kit:
    return Kit(
        database, SqlAccountStore(database), SqlMessageStore(database), SqlDeliveryQueue(database)
    )
