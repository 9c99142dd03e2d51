"""Read models of the client cabinet and the operator console (``CabinetQueries``,
``ConsoleQueries`` ports). Every cabinet query has ``account_id = :id`` in its WHERE clause.

History walks ``ix_messages_account_id_id`` newest first by keyset (``id < :before``); the
per-day counts read the trigger-fed hourly summary (``message_stats_hourly``), never
``messages``; the console's reports read the summaries too (``message_stats``, its monthly
rows and ``message_stats_connector``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update

from ..domain.money import Money
from ..domain.status import MessageStatus
from ..services.cabinet import (
    Child,
    DayStats,
    HistoryFilter,
    HistoryRow,
    MessageDetail,
    PartRow,
    StatementRow,
    StatusGroup,
    group_of,
    statuses_of,
)
from ..services.console import AccountSummary, ReportRow
from .database import Database
from .schema import accounts, ledger, message_parts, messages
from .schema_webhooks import webhook_outbox
from .stats import local_day_counts, report_counts

__all__ = ["SqlCabinetQueries", "SqlConsoleQueries"]

m = messages
_ROW_COLUMNS = (
    m.c.id,
    m.c.created_at,
    m.c.phone,
    m.c.sender,
    m.c.text,
    m.c.channel,
    m.c.parts,
    m.c.price_micros,
    m.c.status,
    m.c.status_at,
    m.c.campaign,
)
_PENDING = [s.value for s in MessageStatus if s.is_pending]
_DELIVERED = frozenset({"delivered", "read"})
_REFUSED = frozenset({"rejected", "cancelled"})  # not charged: no revenue


def _row(r: Any) -> HistoryRow:
    return HistoryRow(
        id=int(r.id),
        created_at=r.created_at,
        phone=r.phone,
        sender=r.sender,
        text=r.text,
        channel=r.channel,
        parts=int(r.parts),
        price=Money(int(r.price_micros)),
        status=MessageStatus(r.status),
        status_at=r.status_at,
        campaign=r.campaign or "",
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlCabinetQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _filtered(self, account_id: int, flt: HistoryFilter) -> Select[Any]:
        q = select(*_ROW_COLUMNS).where(m.c.account_id == account_id)
        if flt.since is not None:
            q = q.where(m.c.created_at >= flt.since)
        if flt.until is not None:
            q = q.where(m.c.created_at < flt.until)
        if flt.group is not None:
            q = q.where(m.c.status.in_([s.value for s in statuses_of(flt.group)]))
        if flt.phone:  # digits only: a prefix is the range [p, p + ":") (":" follows "9")
            q = q.where(m.c.phone >= flt.phone, m.c.phone < flt.phone + ":")
        if flt.sender:
            q = q.where(m.c.sender == flt.sender)
        if flt.campaign:
            q = q.where(m.c.campaign == flt.campaign)  # ix_messages_account_id_campaign_id
        return q

    async def history(
        self, account_id: int, flt: HistoryFilter, before: int | None, limit: int
    ) -> list[HistoryRow]:
        q = self._filtered(account_id, flt)
        if before is not None:
            q = q.where(m.c.id < before)
        q = q.order_by(m.c.id.desc()).limit(limit)
        async with self._db.read() as conn:
            rows = (await conn.execute(q)).all()
        return [_row(r) for r in rows]

    async def detail(self, account_id: int, message_id: int) -> MessageDetail | None:
        q = select(
            *_ROW_COLUMNS, m.c.client_id_sms, m.c.valid_until, m.c.connector, m.c.attempts
        ).where(m.c.id == message_id, m.c.account_id == account_id)
        async with self._db.read() as conn:
            r = (await conn.execute(q)).first()
            if r is None:
                return None
            parts = (
                await conn.execute(
                    select(message_parts)
                    .where(message_parts.c.message_id == message_id)
                    .order_by(message_parts.c.part_no)
                )
            ).all()
            hooks = (
                await conn.execute(
                    select(
                        webhook_outbox.c.updated_at,
                        webhook_outbox.c.status,
                        webhook_outbox.c.state,
                        webhook_outbox.c.attempts,
                        webhook_outbox.c.last_result,
                    )
                    .where(
                        webhook_outbox.c.account_id == account_id,
                        webhook_outbox.c.message_id == message_id,
                    )
                    .order_by(webhook_outbox.c.id)
                    .limit(20)
                )
            ).all()
        return MessageDetail(
            row=_row(r),
            client_id_sms=r.client_id_sms,
            valid_until=r.valid_until,
            connector=r.connector,
            attempts=int(r.attempts),
            parts=[
                PartRow(int(p.part_no), p.connector, p.carrier_id, p.state, p.updated_at)
                for p in parts
            ],
            webhook_attempts=[
                (
                    h.updated_at or r.created_at,
                    f"{h.status}: {h.state}, {h.attempts}× {h.last_result or ''}".strip(),
                )
                for h in hooks
            ],
        )

    async def daily(self, account_id: int, since: datetime, offset_hours: int) -> list[DayStats]:
        """Local days (UTC + ``offset_hours``) from the trigger-fed hourly summary, summed
        into days by the database; ``messages`` is not read."""
        by_day: dict[date, tuple[dict[StatusGroup, int], int]] = {}
        rows = await local_day_counts(self._db, account_id, since, offset_hours)
        for d, status, n, _parts, cost in rows:
            counts, spent = by_day.get(d, ({}, 0))
            g = group_of(MessageStatus(status))
            counts[g] = counts.get(g, 0) + n
            by_day[d] = (counts, spent + cost)
        return [DayStats(d, c, Money(s)) for d, (c, s) in sorted(by_day.items())]

    async def statement(
        self, account_id: int, before: int | None, limit: int
    ) -> list[StatementRow]:
        l_ = ledger
        q = select(l_).where(l_.c.account_id == account_id)
        newer = select(func.coalesce(func.sum(l_.c.amount_micros), 0)).where(
            l_.c.account_id == account_id
        )
        if before is not None:
            q = q.where(l_.c.id < before)
            newer = newer.where(l_.c.id >= before)
        else:
            newer = newer.where(l_.c.id < 0)
        q = q.order_by(l_.c.id.desc()).limit(limit)
        async with self._db.read() as conn:
            balance = int(
                await conn.scalar(
                    select(accounts.c.balance_micros).where(accounts.c.id == account_id)
                )
                or 0
            )
            after = balance - int(await conn.scalar(newer) or 0)
            rows = (await conn.execute(q)).all()
        out: list[StatementRow] = []
        for r in rows:
            out.append(
                StatementRow(
                    int(r.id),
                    r.created_at,
                    r.kind,
                    Money(int(r.amount_micros)),
                    Money(after),
                    None if r.message_id is None else int(r.message_id),
                )
            )
            after -= int(r.amount_micros)
        return out

    async def children(self, parent_id: int) -> list[Child]:
        q = (
            select(accounts.c.id, accounts.c.login, accounts.c.balance_micros, accounts.c.locked)
            .where(accounts.c.parent_id == parent_id)
            .order_by(accounts.c.login)
            .limit(1000)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(q)).all()
        return [
            Child(int(r.id), r.login, Money(int(r.balance_micros)), bool(r.locked)) for r in rows
        ]


class SqlConsoleQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def newest_message_id(self) -> int:
        async with self._db.read() as conn:
            return int(await conn.scalar(select(func.max(m.c.id))) or 0)

    async def queue_depth(self) -> dict[str, int]:
        q = select(m.c.status, func.count()).where(m.c.status.in_(_PENDING)).group_by(m.c.status)
        async with self._db.read() as conn:
            rows = (await conn.execute(q)).all()
        found = {str(s): int(n) for s, n in rows}
        return {s: found.get(s, 0) for s in _PENDING}

    async def webhook_backlog(self) -> int:
        q = select(func.count()).where(webhook_outbox.c.state.in_(["pending", "sending"]))
        async with self._db.read() as conn:
            return int(await conn.scalar(q) or 0)

    async def search_accounts(self, text: str, limit: int) -> list[AccountSummary]:
        parent = accounts.alias("parent")
        q = select(accounts, parent.c.login.label("parent_login")).outerjoin(
            parent, parent.c.id == accounts.c.parent_id
        )
        if text:
            found: ColumnElement[bool] = accounts.c.login.like(
                "%" + _like_escape(text) + "%", escape="\\"
            )
            if text.isdigit():
                found = or_(found, accounts.c.id == int(text))
            q = q.where(found)
        q = q.order_by(accounts.c.id.desc()).limit(limit)
        async with self._db.read() as conn:
            rows = (await conn.execute(q)).all()
        return [
            AccountSummary(
                id=int(r.id),
                login=r.login,
                balance=Money(int(r.balance_micros)),
                locked=bool(r.locked),
                active=bool(r.active),
                any_sender=bool(r.any_sender),
                parent_login=r.parent_login,
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def report(self, since: datetime, until: datetime, group: str) -> list[ReportRow]:
        """From the trigger-fed summaries (never ``messages``): whole UTC days from the day of
        ``since`` to the day before ``until``."""
        last = (until - timedelta(microseconds=1)).date()
        rows = await report_counts(self._db, since.date(), last, group)
        sums: dict[str, list[int]] = {}
        for key, status, n, parts, cost in rows:
            acc = sums.setdefault(key, [0, 0, 0, 0])
            acc[0] += n
            acc[1] += parts
            if status in _DELIVERED:
                acc[2] += n
            if status not in _REFUSED:
                acc[3] += cost
        names: dict[str, str] = {}
        if group == "account" and sums:
            ids = [int(k) for k in sums]
            async with self._db.read() as conn:
                found = await conn.execute(
                    select(accounts.c.id, accounts.c.login).where(
                        self._db.one_of(accounts.c.id, ids)
                    )
                )
                names = {str(r.id): str(r.login) for r in found}
        out = [
            ReportRow(names.get(key, key), n, p, d, Money(v)) for key, (n, p, d, v) in sums.items()
        ]
        return sorted(out, key=lambda r: r.key)[:10_000]

    async def set_password_hash(self, account_id: int, password_hash: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(password_hash=password_hash)
            )

    async def set_token(self, account_id: int, token: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(token=token)
            )

    async def set_tz_offset(self, account_id: int, hours: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(tz_offset_hours=hours)
            )
