"""Pending accounts from self-service registration (the ``RegistrationStore`` port).

A registration is an ``accounts`` row with ``active = false`` (invisible to
:class:`~smsrelay.store.accounts.SqlAccountStore` lookups, so it cannot authenticate) plus its
``registrations`` row, written in one transaction. Activation flips ``active`` and stamps
``activated_at``. These queries read ``accounts`` directly, pending rows included.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..services.registration import AccountListing, RegistrationForm
from .database import Database
from .schema import accounts
from .schema_registration import registrations

__all__ = ["SqlRegistrationStore"]


class SqlRegistrationStore:
    """:class:`smsrelay.services.registration.RegistrationStore` on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def login_taken(self, login: str) -> bool:
        async with self._db.read() as conn:
            found = await conn.scalar(select(accounts.c.id).where(accounts.c.login == login))
        return found is not None

    async def create_pending(
        self, form: RegistrationForm, password_hash: str, token: str, now: datetime
    ) -> int:
        """The inactive account and its details; ``LookupError`` if the login is taken."""
        account = {
            "login": form.login,
            "password_hash": password_hash,
            "token": token,
            "balance_micros": 0,
            "currency": "RUR",
            "lang": "ru",
            "locked": False,
            "any_sender": False,
            "parent_id": None,
            "tz_offset_hours": 0,
            "active": False,
            "created_at": now,
        }
        details = {
            "businessman": form.businessman.lower(),
            "name": form.name,
            "city": form.city,
            "phone": form.phone,
            "e_mail": form.e_mail,
            "inn": form.inn,
            "juridical_address": form.juridical_address,
            "company_name": form.company_name,
            "ogrnip": form.ogrnip,
            "address_facto": form.address_facto,
            "created_at": now,
        }
        try:
            async with self._db.write() as conn:
                taken = await conn.scalar(
                    select(accounts.c.id).where(
                        (accounts.c.login == form.login) | (accounts.c.token == token)
                    )
                )
                if taken is not None:
                    raise LookupError(f"login already taken: {form.login!r}")
                new_id = await conn.scalar(
                    insert(accounts).values(account).returning(accounts.c.id)
                )
                assert new_id is not None
                await conn.execute(insert(registrations).values(account_id=new_id, **details))
        except IntegrityError as exc:  # a concurrent registration won the race
            raise LookupError(f"login already taken: {form.login!r}") from exc
        return int(new_id)

    async def activate(self, login: str, now: datetime) -> int | None:
        pending = (
            select(accounts.c.id)
            .join(registrations, registrations.c.account_id == accounts.c.id)
            .where(accounts.c.login == login, accounts.c.active.is_(False))
        )
        async with self._db.write() as conn:
            account_id = await conn.scalar(pending)
            if account_id is None:
                return None
            await conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(active=True)
            )
            await conn.execute(
                update(registrations)
                .where(registrations.c.account_id == account_id)
                .values(activated_at=now)
            )
        return int(account_id)

    async def list_accounts(self) -> list[AccountListing]:
        query = (
            select(
                accounts.c.id,
                accounts.c.login,
                accounts.c.active,
                accounts.c.locked,
                accounts.c.balance_micros,
                accounts.c.created_at,
                registrations.c.businessman,
            )
            .select_from(
                accounts.outerjoin(registrations, registrations.c.account_id == accounts.c.id)
            )
            .order_by(accounts.c.id)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            AccountListing(
                id=int(r.id),
                login=r.login,
                active=bool(r.active),
                locked=bool(r.locked),
                balance_micros=int(r.balance_micros),
                businessman=r.businessman,
                created_at=r.created_at,
            )
            for r in rows
        ]
