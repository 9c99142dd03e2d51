"""Storage of the customer SMPP server: SMPP access, the deliver_sm outbox, live binds.

The outbox is filled by triggers (migration ``0101_smpp_server``). :meth:`claim_outbox` leases
due rows of the given accounts to one process (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the
single writer on SQLite), so several processes sharing a database never send a row twice at
the same time; an unacknowledged row comes back when its lease ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update

from ..domain.status import MessageStatus
from ..services.smpp_access import SmppAccess, SmppAccessRecord
from ..services.smpp_outbox import BindRow, BindStats, OutboxItem, OutboxKind
from .accounts import account_from_row, dialect_insert
from .database import Database
from .schema import accounts, messages
from .schema_inbound import inbound_messages
from .schema_smpp_server import smpp_access, smpp_binds, smpp_outbox

__all__ = ["SqlSmppServerStore"]

o = smpp_outbox
b = smpp_binds

_LEASE = (
    update(o)
    .where(o.c.id == bindparam("b_id"))
    .values(
        lease_until=bindparam("b_lease"),
        lease_owner=bindparam("b_owner"),
        attempts=o.c.attempts + 1,
    )
)
_REFRESH = (
    update(b)
    .where(b.c.id == bindparam("b_id"))
    .values(
        updated_at=bindparam("b_now"),
        submits=bindparam("b_submits"),
        receipts=bindparam("b_receipts"),
        submit_rate=bindparam("b_srate"),
        receipt_rate=bindparam("b_rrate"),
        outstanding=bindparam("b_out"),
    )
)


class SqlSmppServerStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pg = db.dialect == "postgresql"

    # --- access --------------------------------------------------------------------------

    async def set_access(
        self, account_id: int, password_hash: str, access: SmppAccess, now: datetime
    ) -> None:
        values = {
            "account_id": account_id,
            "password_hash": password_hash,
            "max_binds": access.max_binds,
            "throughput": access.throughput,
            "allowed_cidrs": ",".join(access.allowed),
            "updated_at": now,
        }
        stmt = dialect_insert(self._db, smpp_access).values(values)
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[smpp_access.c.account_id],
            set_={k: v for k, v in values.items() if k != "account_id"},
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def find_access(self, login: str) -> SmppAccessRecord | None:
        q = (
            select(accounts, smpp_access.c.password_hash.label("smpp_hash"), smpp_access)
            .select_from(accounts.join(smpp_access, smpp_access.c.account_id == accounts.c.id))
            .where(accounts.c.login == login)
        )
        async with self._db.read() as conn:
            row = (await conn.execute(q)).first()
        if row is None:
            return None
        m = row._mapping
        cidrs = tuple(c for c in (m["allowed_cidrs"] or "").split(",") if c)
        return SmppAccessRecord(
            account=account_from_row(row),
            active=bool(m["active"]),
            password_hash=m["smpp_hash"],
            access=SmppAccess(int(m["max_binds"]), int(m["throughput"]), cidrs),
        )

    # --- outbox --------------------------------------------------------------------------

    async def claim_outbox(
        self,
        account_ids: Sequence[int],
        owner: str,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[OutboxItem]:
        if not account_ids or limit <= 0:
            return []
        due = and_(
            self._db.one_of(o.c.account_id, sorted(set(account_ids))),
            or_(o.c.next_at.is_(None), o.c.next_at <= now),
            or_(o.c.lease_until.is_(None), o.c.lease_until < now),
        )
        pick = select(o).where(due).order_by(o.c.id).limit(limit)
        if self._pg:
            pick = pick.with_for_update(skip_locked=True)
        async with self._db.read() as conn:
            if await conn.scalar(select(o.c.id).where(due).limit(1)) is None:
                return []
        async with self._db.write() as conn:
            rows = (await conn.execute(pick)).all()
            if not rows:
                return []
            await conn.execute(
                _LEASE,
                [{"b_id": r.id, "b_lease": now + lease, "b_owner": owner} for r in rows],
            )
            receipt_ids = [int(r.ref_id) for r in rows if r.kind == OutboxKind.RECEIPT]
            mo_ids = [int(r.ref_id) for r in rows if r.kind == OutboxKind.MO]
            msgs: dict[int, Any] = {}
            if receipt_ids:
                q = select(
                    messages.c.id,
                    messages.c.phone,
                    messages.c.sender,
                    messages.c.text,
                    messages.c.parts,
                    messages.c.created_at,
                ).where(self._db.one_of(messages.c.id, receipt_ids))
                msgs = {int(m.id): m for m in (await conn.execute(q)).all()}
            mos: dict[int, Any] = {}
            if mo_ids:
                q = select(
                    inbound_messages.c.id,
                    inbound_messages.c.originator,
                    inbound_messages.c.phone,
                    inbound_messages.c.text,
                ).where(self._db.one_of(inbound_messages.c.id, mo_ids))
                mos = {int(m.id): m for m in (await conn.execute(q)).all()}
        out: list[OutboxItem] = []
        for r in rows:
            kind = OutboxKind(r.kind)
            common = {
                "id": int(r.id),
                "account_id": int(r.account_id),
                "kind": kind,
                "ref_id": int(r.ref_id),
                "created_at": r.created_at,
                "attempts": int(r.attempts) + 1,
            }
            if kind is OutboxKind.RECEIPT:
                m = msgs.get(int(r.ref_id))
                if m is None:
                    continue
                out.append(
                    OutboxItem(
                        **common,
                        source=m.phone,
                        destination=m.sender,
                        text=m.text,
                        status=MessageStatus(r.status),
                        submitted_at=m.created_at,
                        parts=int(m.parts),
                    )
                )
            else:
                mo = mos.get(int(r.ref_id))
                if mo is None:
                    continue
                out.append(
                    OutboxItem(**common, source=mo.originator, destination=mo.phone, text=mo.text)
                )
        return out

    async def ack_outbox(self, ids: Sequence[int]) -> None:
        if ids:
            async with self._db.write() as conn:
                await conn.execute(delete(o).where(self._db.one_of(o.c.id, list(ids))))

    async def retry_outbox(self, ids: Sequence[int], next_at: datetime) -> None:
        if ids:
            async with self._db.write() as conn:
                await conn.execute(
                    update(o)
                    .where(self._db.one_of(o.c.id, list(ids)))
                    .values(next_at=next_at, lease_until=None, lease_owner=None)
                )

    async def prune_outbox(self, before: datetime) -> int:
        async with self._db.read() as conn:
            if await conn.scalar(select(o.c.id).where(o.c.created_at < before).limit(1)) is None:
                return 0
        async with self._db.write() as conn:
            result = await conn.execute(delete(o).where(o.c.created_at < before))
        return int(result.rowcount or 0)

    async def outbox_size(self, account_id: int) -> int:
        async with self._db.read() as conn:
            n = await conn.scalar(select(func.count()).where(o.c.account_id == account_id))
        return int(n or 0)

    # --- live binds ----------------------------------------------------------------------

    async def add_bind(self, row: BindRow) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                smpp_binds.insert().values(
                    id=row.bind_id,
                    account_id=row.account_id,
                    login=row.login,
                    address=row.address,
                    bind_type=row.bind_type,
                    node=row.node,
                    since=row.since,
                    updated_at=row.updated_at,
                )
            )

    async def remove_bind(self, bind_id: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(b).where(b.c.id == bind_id))

    async def refresh_binds(self, stats: Sequence[BindStats], now: datetime) -> set[str]:
        if not stats:
            return set()
        async with self._db.write() as conn:
            await conn.execute(
                _REFRESH,
                [
                    {
                        "b_id": s.bind_id,
                        "b_now": now,
                        "b_submits": s.submits,
                        "b_receipts": s.receipts,
                        "b_srate": s.submit_rate,
                        "b_rrate": s.receipt_rate,
                        "b_out": s.outstanding,
                    }
                    for s in stats
                ],
            )
            kicked = await conn.execute(
                select(b.c.id).where(
                    self._db.one_of(b.c.id, [s.bind_id for s in stats]), b.c.kick.is_(True)
                )
            )
            return {r.id for r in kicked}

    async def live_binds(self, since: datetime) -> list[BindRow]:
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    select(b).where(b.c.updated_at >= since).order_by(b.c.login, b.c.since)
                )
            ).all()
        return [_bind_row(r) for r in rows]

    async def account_binds(self, account_id: int, since: datetime) -> list[BindRow]:
        """One account's live binds (the cabinet's SMPP section), oldest first."""
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    select(b)
                    .where(b.c.account_id == account_id, b.c.updated_at >= since)
                    .order_by(b.c.since)
                )
            ).all()
        return [_bind_row(r) for r in rows]

    async def count_live_binds(self, account_id: int, since: datetime) -> int:
        async with self._db.read() as conn:
            n = await conn.scalar(
                select(func.count()).where(b.c.account_id == account_id, b.c.updated_at >= since)
            )
        return int(n or 0)

    async def kick(self, login: str) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(update(b).where(b.c.login == login).values(kick=True))
        return int(result.rowcount or 0)

    async def prune_binds(self, before: datetime) -> None:
        """Rows of processes that stopped refreshing them (crashed)."""
        async with self._db.write() as conn:
            await conn.execute(delete(b).where(b.c.updated_at < before))


def _bind_row(r: Any) -> BindRow:
    return BindRow(
        bind_id=r.id,
        account_id=int(r.account_id),
        login=r.login,
        address=r.address,
        bind_type=r.bind_type,
        node=r.node,
        since=r.since,
        updated_at=r.updated_at,
        submits=int(r.submits),
        receipts=int(r.receipts),
        submit_rate=float(r.submit_rate),
        receipt_rate=float(r.receipt_rate),
        outstanding=int(r.outstanding),
    )
