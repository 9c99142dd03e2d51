"""The durable outbox of webhook pushes, shared by status pushes (``store/webhooks.py``) and
incoming-SMS pushes (``store/incoming_hooks.py``): per-account settings, and outbox rows that
a database trigger writes in the transaction of the event they tell.

The pusher works rows off BY STATE with a lease, like the delivery queue: due rows
(``pending`` whose ``next_at`` has come, or ``sending`` whose lease ran out, i.e. a crashed
pusher's) become ``sending`` under a claim token; only the holder of that token can record
their outcome. ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (several processes may push), the
single write lock on SQLite. Rows of one POST share a ``delivery_id`` kept across retries.

A concrete outbox names its three tables and says what it reads with each row (``_pick``),
how a row becomes a push item (``_item``) and how settings map to columns.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy import update as sql_update

from ..services.webhooks import (
    AttemptRecord,
    PendingPush,
    PushBatch,
    PushItem,
    PushOutcome,
    WebhookConfig,
)
from .accounts import dialect_insert
from .database import Database

__all__ = [
    "DELIVERED",
    "DROPPED",
    "FAILED",
    "MAX_BACKOFF",
    "PENDING",
    "SENDING",
    "PushOutbox",
    "backoff_delay",
]

PENDING, SENDING, DELIVERED, FAILED, DROPPED = (
    "pending",
    "sending",
    "delivered",
    "failed",
    "dropped",
)
#: Longest wait between two attempts, whatever the attempt number.
MAX_BACKOFF = timedelta(hours=6)


def backoff_delay(first: timedelta, attempts_made: int) -> timedelta:
    """Wait after the ``attempts_made``-th failed attempt: ``first``, doubled each time."""
    if attempts_made < 1:
        return timedelta(0)
    return min(first * (1 << min(attempts_made - 1, 30)), MAX_BACKOFF)


class PushOutbox(ABC):
    """Settings and outbox on SQLite or PostgreSQL; subclasses name the tables."""

    settings_table: ClassVar[Table]
    outbox: ClassVar[Table]
    attempts_table: ClassVar[Table]

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pg = db.dialect == "postgresql"
        o = self.outbox
        owned = (o.c.id == bindparam("b_id"), o.c.claim_token == bindparam("b_token"))
        self._claim_rows = (
            sql_update(o)
            .where(o.c.id == bindparam("b_id"))
            .values(
                state=SENDING,
                lease_until=bindparam("b_lease"),
                claim_token=bindparam("b_token"),
                delivery_id=bindparam("b_delivery"),
                attempts=o.c.attempts + 1,
                updated_at=bindparam("b_now"),
            )
        )
        self._settle_rows = (
            sql_update(o)
            .where(*owned)
            .values(
                state=bindparam("b_state"),
                next_at=bindparam("b_next"),
                lease_until=None,
                claim_token=None,
                last_result=bindparam("b_result"),
                updated_at=bindparam("b_now"),
            )
        )
        self._release_rows = (
            sql_update(o)
            .where(*owned)
            .values(
                state=PENDING,
                lease_until=None,
                claim_token=None,
                attempts=o.c.attempts - 1,
                updated_at=bindparam("b_now"),
            )
        )

    # --- what a concrete outbox says -----------------------------------------------------------

    @abstractmethod
    def _config(self, row: Any) -> WebhookConfig:
        """The webhook settings from a settings (or claimed outbox) row."""

    @abstractmethod
    def _settings_values(self, config: WebhookConfig) -> dict[str, Any]:
        """The settings row's columns but ``account_id`` and ``updated_at``."""

    @abstractmethod
    def _pick(self, due: ColumnElement[bool]) -> Select[Any]:
        """Due outbox rows with what their push needs (the settings' columns included)."""

    @abstractmethod
    def _item(self, row: Any) -> PushItem:
        """A claimed outbox row as the item its POST carries."""

    @abstractmethod
    def _pending(self, row: Any) -> PendingPush:
        """An outbox row (all its columns) as ``webhook show`` lists it."""

    # --- settings ------------------------------------------------------------------------------

    async def get_webhook(self, account_id: int) -> WebhookConfig | None:
        w = self.settings_table
        async with self._db.read() as conn:
            row = (await conn.execute(select(w).where(w.c.account_id == account_id))).first()
        return None if row is None else self._config(row)

    async def set_webhook(self, account_id: int, config: WebhookConfig, now: datetime) -> None:
        w = self.settings_table
        values = {"account_id": account_id, **self._settings_values(config), "updated_at": now}
        stmt = dialect_insert(self._db, w).values(values)
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[w.c.account_id],
            set_={k: v for k, v in values.items() if k != "account_id"},
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def remove_webhook(self, account_id: int, now: datetime) -> None:
        """The settings go; pushes not yet made are dropped."""
        w, o = self.settings_table, self.outbox
        async with self._db.write() as conn:
            await conn.execute(delete(w).where(w.c.account_id == account_id))
            await conn.execute(
                sql_update(o)
                .where(o.c.account_id == account_id, o.c.state.in_((PENDING, SENDING)))
                .values(
                    state=DROPPED,
                    claim_token=None,
                    lease_until=None,
                    updated_at=now,
                    last_result="webhook removed",
                )
            )

    async def overview(self, account_id: int, limit: int) -> tuple[list[PendingPush], int]:
        """Pushes not yet delivered (oldest first, at most ``limit``) and how many were."""
        o = self.outbox
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(o)
                .where(o.c.account_id == account_id, o.c.state.in_((PENDING, SENDING, FAILED)))
                .order_by(o.c.id)
                .limit(limit)
            )
            pushes = [self._pending(r) for r in rows]
            delivered = await conn.scalar(
                select(func.count()).where(o.c.account_id == account_id, o.c.state == DELIVERED)
            )
        return pushes, int(delivered or 0)

    # --- the outbox ----------------------------------------------------------------------------

    async def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        batch_size: int,
        exclude_accounts: Sequence[int] = (),
    ) -> list[PushBatch]:
        """Due rows -> ``sending``, grouped into POSTs: a retried POST keeps its rows and its
        delivery id; new rows of an account go into new POSTs of at most ``batch_size``."""
        if limit <= 0:
            return []
        if lease <= timedelta(0) or batch_size <= 0:
            raise ValueError("lease and batch_size must be positive")
        o = self.outbox
        due = or_(
            and_(o.c.state == PENDING, or_(o.c.next_at.is_(None), o.c.next_at <= now)),
            and_(o.c.state == SENDING, o.c.lease_until < now),
        )
        pick = self._pick(due).order_by(o.c.id).limit(limit)
        if exclude_accounts:
            pick = pick.where(~self._db.one_of(o.c.account_id, sorted(set(exclude_accounts))))
        if self._pg:
            pick = pick.with_for_update(skip_locked=True, of=o)
        # a read first: an idle outbox never takes SQLite's write lock (polled every second)
        async with self._db.read() as conn:
            if await conn.scalar(select(o.c.id).where(due).limit(1)) is None:
                return []
        token = uuid.uuid4().hex
        async with self._db.write() as conn:
            rows = (await conn.execute(pick)).all()
            if not rows:
                return []
            groups: dict[tuple[int, str], list[Any]] = {}
            fresh: dict[int, list[Any]] = {}
            for r in rows:
                if r.delivery_id:
                    groups.setdefault((int(r.account_id), r.delivery_id), []).append(r)
                else:
                    fresh.setdefault(int(r.account_id), []).append(r)
            for account_id, new_rows in fresh.items():
                for start in range(0, len(new_rows), batch_size):
                    groups[(account_id, uuid.uuid4().hex)] = new_rows[start : start + batch_size]
            await conn.execute(
                self._claim_rows,
                [
                    {
                        "b_id": r.id,
                        "b_lease": now + lease,
                        "b_token": token,
                        "b_delivery": delivery,
                        "b_now": now,
                    }
                    for (_, delivery), members in groups.items()
                    for r in members
                ],
            )
        return [
            PushBatch(
                account_id=account_id,
                delivery_id=delivery,
                claim_token=token,
                config=self._config(members[0]),
                tz_offset_hours=int(members[0].tz_offset_hours),
                items=tuple(self._item(r) for r in members),
            )
            for (account_id, delivery), members in groups.items()
        ]

    async def record(
        self,
        outcomes: Sequence[PushOutcome],
        now: datetime,
        max_attempts: int,
        backoff: timedelta,
    ) -> None:
        """Settle the claimed rows by the client's acknowledgements; log each POST."""
        if not outcomes:
            return
        settles: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        for out in outcomes:
            b = out.batch
            result = out.describe()
            for item in b.items:
                if item.message_id in out.acked:
                    state, next_at = DELIVERED, None
                elif item.attempts >= max_attempts:
                    state, next_at = FAILED, None
                else:
                    state, next_at = PENDING, now + backoff_delay(backoff, item.attempts)
                settles.append(
                    {
                        "b_id": item.outbox_id,
                        "b_token": b.claim_token,
                        "b_state": state,
                        "b_next": next_at,
                        "b_result": result,
                        "b_now": now,
                    }
                )
            attempts.append(
                {
                    "account_id": b.account_id,
                    "delivery_id": b.delivery_id,
                    "attempt": b.attempt,
                    "at": now,
                    "http_status": out.http_status,
                    "error": out.error,
                    "sent": len(b.items),
                    "acked": sum(1 for i in b.items if i.message_id in out.acked),
                }
            )
        async with self._db.write() as conn:
            await conn.execute(self._settle_rows, settles)
            await conn.execute(insert(self.attempts_table), attempts)

    async def release(self, batches: Sequence[PushBatch], now: datetime) -> None:
        """Claimed but not pushed (the pusher stops): due again, the attempt not counted."""
        params = [
            {"b_id": i.outbox_id, "b_token": b.claim_token, "b_now": now}
            for b in batches
            for i in b.items
        ]
        if params:
            async with self._db.write() as conn:
                await conn.execute(self._release_rows, params)

    async def prune(self, before: datetime) -> int:
        """Forget delivered and dropped pushes, and attempts, older than ``before``."""
        o, a = self.outbox, self.attempts_table
        async with self._db.write() as conn:
            gone = await conn.execute(
                delete(o).where(o.c.state.in_((DELIVERED, DROPPED)), o.c.updated_at < before)
            )
            await conn.execute(delete(a).where(a.c.at < before))
        return int(gone.rowcount)

    async def attempts(self, account_id: int, limit: int = 20) -> list[AttemptRecord]:
        """The account's latest POSTs, newest first (``webhook show``)."""
        a = self.attempts_table
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(
                    a.c.delivery_id,
                    a.c.attempt,
                    a.c.at,
                    a.c.http_status,
                    a.c.error,
                    a.c.sent,
                    a.c.acked,
                )
                .where(a.c.account_id == account_id)
                .order_by(a.c.id.desc())
                .limit(limit)
            )
            return [
                AttemptRecord(
                    r.delivery_id,
                    int(r.attempt),
                    r.at,
                    r.http_status,
                    r.error,
                    int(r.sent),
                    int(r.acked),
                )
                for r in rows
            ]
