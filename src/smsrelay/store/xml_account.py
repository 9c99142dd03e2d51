"""XML account features in storage: sender registrations (X5/X6), uploaded files (X19),
reseller credits (X20), the account's time-zone offset (X18).

Implements the ports of ``services.senders``, ``services.files`` and ``services.reseller``.
Every query is scoped by account: another account's senders, files and sub-accounts are
invisible (answered exactly like missing ones). Money moves only together with ledger rows,
in one transaction per X20 document.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.senders import SenderState
from ..services.files import StoredFile
from ..services.reseller import CreditOrder, CreditOutcome, CreditRefusal
from ..services.senders import Registration, SenderListing
from .accounts import dialect_insert
from .database import Database
from .schema import accounts, ledger, senders
from .schema_xml_account import reseller_transactions, sender_registrations, uploaded_files

__all__ = ["SqlXmlAccountStore"]

_R = sender_registrations


class SqlXmlAccountStore:
    """Storage of the XML account features on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- senders (X5/X6, CLI) ------------------------------------------------------------------

    async def register_senders(
        self,
        account_id: int,
        registrations: Sequence[Registration],
        state: SenderState,
        now: datetime,
    ) -> list[tuple[int, SenderState]]:
        """File (or re-file) sender names, all in ONE transaction (an X6 request). A name
        already ``completed`` keeps its state and details; otherwise the name takes ``state``
        and the new details. Returns (id_originator, resulting state) per name, in order."""
        async with self._db.write() as conn:
            # one filing per account at a time (PostgreSQL; SQLite has one writer anyway)
            lock = select(accounts.c.id).where(accounts.c.id == account_id).with_for_update()
            await conn.execute(lock)
            return [
                await self._register_sender(conn, account_id, reg, state, now)
                for reg in registrations
            ]

    async def _register_sender(
        self,
        conn: AsyncConnection,
        account_id: int,
        registration: Registration,
        state: SenderState,
        now: datetime,
    ) -> tuple[int, SenderState]:
        details = {
            "inn": registration.inn,
            "kpp": registration.kpp,
            "ogrn": registration.ogrn,
            "name_counterparty": registration.name_counterparty,
            "template": registration.template,
            "operator": registration.operator,
            "mcc": registration.mcc,
            "mnc": registration.mnc,
            "file_href": registration.file_href,
            "file_id": registration.file_id,
        }
        current = (
            await conn.execute(
                select(senders.c.state).where(
                    senders.c.account_id == account_id, senders.c.name == registration.name
                )
            )
        ).scalar_one_or_none()
        existing = (
            await conn.execute(
                select(_R.c.id).where(_R.c.account_id == account_id, _R.c.name == registration.name)
            )
        ).scalar_one_or_none()
        if current == SenderState.COMPLETED.value:
            if existing is None:
                existing = await self._insert_registration(
                    conn, account_id, registration.name, details, now
                )
            return int(existing), SenderState.COMPLETED
        if existing is None:
            existing = await self._insert_registration(
                conn, account_id, registration.name, details, now
            )
        else:
            await conn.execute(
                update(_R).where(_R.c.id == existing).values(**details, updated_at=now)
            )
        fields = {"state": state.value, "comment": registration.comment}
        stmt = dialect_insert(self._db, senders).values(
            account_id=account_id, name=registration.name, history="", **fields
        )
        await conn.execute(
            stmt.on_conflict_do_update(  # type: ignore[attr-defined]
                index_elements=[senders.c.account_id, senders.c.name], set_=fields
            )
        )
        return int(existing), state

    @staticmethod
    async def _insert_registration(
        conn: AsyncConnection, account_id: int, name: str, details: dict[str, Any], now: datetime
    ) -> int:
        new_id = await conn.scalar(
            insert(_R)
            .values(account_id=account_id, name=name, created_at=now, updated_at=now, **details)
            .returning(_R.c.id)
        )
        assert new_id is not None
        return int(new_id)

    async def sender_listings(self, account_id: int | None) -> list[SenderListing]:
        """Senders (with their registration details when filed through X6), by login and name;
        every account's when ``account_id`` is None."""
        joined = senders.join(
            _R,
            and_(_R.c.account_id == senders.c.account_id, _R.c.name == senders.c.name),
            isouter=True,
        ).join(accounts, accounts.c.id == senders.c.account_id)
        query = select(
            senders,
            _R.c.id.label("reg_id"),
            _R.c.template,
            _R.c.operator,
            _R.c.mcc,
            _R.c.mnc,
            _R.c.inn,
            _R.c.kpp,
            _R.c.ogrn,
            _R.c.name_counterparty,
            _R.c.file_href,
            _R.c.file_id,
            accounts.c.login,
        ).select_from(joined)
        if account_id is not None:
            query = query.where(senders.c.account_id == account_id)
        query = query.order_by(accounts.c.login, senders.c.name)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            SenderListing(
                login=r.login,
                name=r.name,
                state=SenderState(r.state),
                comment=r.comment,
                history=r.history,
                id_originator=None if r.reg_id is None else int(r.reg_id),
                template=r.template or "",
                operator=r.operator or "",
                mcc=r.mcc or "",
                mnc=r.mnc or "",
                inn=r.inn or "",
                kpp=r.kpp or "",
                ogrn=r.ogrn or "",
                name_counterparty=r.name_counterparty or "",
                file_href=r.file_href or "",
                file_id=None if r.file_id is None else int(r.file_id),
            )
            for r in rows
        ]

    async def decide_sender(
        self, account_id: int, name: str, state: SenderState, history: str | None
    ) -> bool:
        """Set a sender's moderation state (and the operator's comment when given).
        False when the account has no such sender."""
        values: dict[str, Any] = {"state": state.value}
        if history is not None:
            values["history"] = history
        async with self._db.write() as conn:
            changed = await conn.execute(
                update(senders)
                .where(senders.c.account_id == account_id, senders.c.name == name)
                .values(**values)
            )
        return bool(changed.rowcount == 1)

    # --- files (X19) ---------------------------------------------------------------------------

    async def add_file(self, account_id: int, file: StoredFile, now: datetime) -> int:
        async with self._db.write() as conn:
            new_id = await conn.scalar(
                insert(uploaded_files)
                .values(
                    account_id=account_id,
                    filename=file.filename,
                    content_type=file.content_type,
                    size=file.size,
                    stored_name=file.stored_name,
                    created_at=now,
                )
                .returning(uploaded_files.c.id)
            )
        assert new_id is not None
        return int(new_id)

    async def file_of(self, account_id: int, file_id: int) -> StoredFile | None:
        """The account's own file ``file_id``; None for a missing or foreign id."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(uploaded_files).where(
                        uploaded_files.c.id == file_id, uploaded_files.c.account_id == account_id
                    )
                )
            ).first()
        if row is None:
            return None
        return StoredFile(row.filename, row.content_type, int(row.size), row.stored_name)

    # --- reseller credits (X20) ----------------------------------------------------------------

    async def credit_clients(
        self, reseller_id: int, orders: Sequence[CreditOrder], now: datetime
    ) -> list[CreditOutcome]:
        """Apply every order in ONE transaction, in order; each moves money between the
        reseller and one of its own sub-accounts, with a ledger row on each side."""
        out: list[CreditOutcome] = []
        async with self._db.write() as conn:
            logins = sorted({o.login for o in orders})
            # the reseller and its named sub-accounts, locked in id order (as accept_batch does)
            rows = (
                await conn.execute(
                    select(accounts.c.id, accounts.c.login, accounts.c.balance_micros)
                    .where(
                        (accounts.c.id == reseller_id)
                        | and_(
                            accounts.c.parent_id == reseller_id,
                            accounts.c.active.is_(True),
                            self._db.one_of(accounts.c.login, logins),
                        )
                    )
                    .order_by(accounts.c.id)
                    .with_for_update()
                )
            ).all()
            balances = {int(r.id): int(r.balance_micros) for r in rows}
            clients = {r.login: int(r.id) for r in rows if int(r.id) != reseller_id}
            reseller_balance = balances[reseller_id]
            for order in orders:
                client_id = clients.get(order.login)
                if client_id is None:
                    out.append(CreditOutcome(order.login, refusal=CreditRefusal.NO_USER))
                    continue
                amount = order.amount.micros if not order.write_off else -order.amount.micros
                if reseller_balance < amount or balances[client_id] < -amount:
                    out.append(CreditOutcome(order.login, refusal=CreditRefusal.NO_MONEY))
                    continue
                reseller_balance -= amount
                balances[client_id] += amount
                tx = await self._move(conn, reseller_id, client_id, amount, order.kind, now)
                out.append(CreditOutcome(order.login, id_transaction=tx))
        return out

    @staticmethod
    async def _move(
        conn: AsyncConnection,
        reseller_id: int,
        client_id: int,
        amount: int,
        kind: str,
        now: datetime,
    ) -> int:
        ids: list[int] = []
        for account_id, delta, ledger_kind in (
            (reseller_id, -amount, "reseller_out" if amount > 0 else "reseller_in"),
            (client_id, amount, "reseller_in" if amount > 0 else "reseller_out"),
        ):
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(balance_micros=accounts.c.balance_micros + delta)
            )
            ledger_id = await conn.scalar(
                insert(ledger)
                .values(
                    account_id=account_id, amount_micros=delta, kind=ledger_kind, created_at=now
                )
                .returning(ledger.c.id)
            )
            assert ledger_id is not None
            ids.append(int(ledger_id))
        tx = await conn.scalar(
            insert(reseller_transactions)
            .values(
                reseller_id=reseller_id,
                client_id=client_id,
                amount_micros=amount,
                type_transaction=kind,
                reseller_ledger_id=ids[0],
                client_ledger_id=ids[1],
                created_at=now,
            )
            .returning(reseller_transactions.c.id)
        )
        assert tx is not None
        return int(tx)

    # --- time zone (X18) -----------------------------------------------------------------------

    async def set_tz_offset(self, account_id: int, hours: int) -> None:
        async with self._db.write() as conn:
            changed = await conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(tz_offset_hours=hours)
            )
            if changed.rowcount != 1:
                raise LookupError(f"no account {account_id}")
