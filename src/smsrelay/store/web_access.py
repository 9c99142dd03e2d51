"""Operators, web sessions and the audit log (the ``WebAccessStore`` port)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..services.web_access import AuditEntry, Operator, SessionKind, WebSession
from .accounts import dialect_insert
from .database import Database
from .schema_web import audit_log, operators, web_sessions
from .schema_web_prefs import web_prefs

__all__ = ["SqlWebAccessStore"]


class SqlWebAccessStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_operator(self, name: str, password_hash: str, role: str, now: datetime) -> int:
        try:
            async with self._db.write() as conn:
                result = await conn.execute(
                    insert(operators).values(
                        name=name, password_hash=password_hash, role=role, created_at=now
                    )
                )
        except IntegrityError as exc:
            raise LookupError(name) from exc
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def _operator(self, where: object) -> Operator | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(operators).where(where))).first()  # type: ignore[arg-type]
        if row is None:
            return None
        return Operator(int(row.id), row.name, row.role, row.password_hash)

    async def find_operator(self, name: str) -> Operator | None:
        return await self._operator(operators.c.name == name)

    async def get_operator(self, operator_id: int) -> Operator | None:
        return await self._operator(operators.c.id == operator_id)

    async def count_operators(self) -> int:
        async with self._db.read() as conn:
            return int(await conn.scalar(select(func.count()).select_from(operators)) or 0)

    async def add_session(self, key: bytes, session: WebSession, now: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(web_sessions).values(
                    key=key,
                    kind=session.kind.value,
                    subject_id=session.subject_id,
                    csrf=session.csrf,
                    lang=session.lang,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
            await conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))

    async def get_session(self, key: bytes) -> WebSession | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(select(web_sessions).where(web_sessions.c.key == key))
            ).first()
        if row is None:
            return None
        return WebSession(
            SessionKind(row.kind), int(row.subject_id), row.csrf, row.expires_at, row.lang
        )

    async def get_account_lang(self, account_id: int) -> str | None:
        async with self._db.read() as conn:
            found = await conn.scalar(
                select(web_prefs.c.lang).where(web_prefs.c.account_id == account_id)
            )
        return str(found) if found else None

    async def set_account_lang(self, account_id: int, lang: str, now: datetime) -> None:
        values = {"account_id": account_id, "lang": lang, "updated_at": now}
        stmt = dialect_insert(self._db, web_prefs).values(values)
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[web_prefs.c.account_id], set_={"lang": lang, "updated_at": now}
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def set_session_lang(self, key: bytes, lang: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(web_sessions).where(web_sessions.c.key == key).values(lang=lang)
            )

    async def drop_session(self, key: bytes) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(web_sessions).where(web_sessions.c.key == key))

    async def prune_sessions(self, now: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
        return int(result.rowcount or 0)

    async def audit(
        self, operator_id: int, action: str, target: str, detail: str, now: datetime
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(audit_log).values(
                    operator_id=operator_id,
                    action=action,
                    target=target,
                    detail=detail,
                    created_at=now,
                )
            )

    async def audit_page(self, before: int | None, limit: int) -> list[AuditEntry]:
        q = (
            select(audit_log, operators.c.name)
            .join(operators, operators.c.id == audit_log.c.operator_id)
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        if before is not None:
            q = q.where(audit_log.c.id < before)
        async with self._db.read() as conn:
            rows = (await conn.execute(q)).all()
        return [
            AuditEntry(int(r.id), r.created_at, r.name, r.action, r.target, r.detail) for r in rows
        ]
