"""What operators read from the database: readiness, queue depth, webhook backlog, receipts
overdue (the ``services.operations.OperationsStore`` port). Read-only, one short query each;
``/metrics`` and ``smsrelay status`` call these at scrape/ask time, never per message."""

from __future__ import annotations

from datetime import datetime

from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..domain.status import MessageStatus, PartState
from .database import Database, alembic_config
from .schema import message_parts, messages
from .schema_webhooks import webhook_outbox

__all__ = ["SqlOperationsStore"]

_PENDING = tuple(s.value for s in MessageStatus if s.is_pending)
_BACKLOG = ("pending", "sending")  # webhook_outbox states not delivered (nor dropped) yet


def _heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


class SqlOperationsStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._heads: set[str] | None = None

    async def schema_problem(self) -> str | None:
        """None when the database answers and carries every migration; else the reason."""
        if self._heads is None:
            self._heads = _heads()
        try:
            async with self._db.read() as conn:
                rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
                current = {str(r[0]) for r in rows}
        except (SQLAlchemyError, OSError) as exc:
            return f"database unreachable or not migrated: {exc.__class__.__name__}"
        missing = self._heads - current
        if missing:
            return f"database not migrated (missing {', '.join(sorted(missing))})"
        return None

    async def queue_depth(self) -> dict[str, int]:
        """Messages not final yet, by status (every pending status, zeros included)."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(messages.c.status, func.count())
                .where(messages.c.status.in_(_PENDING))
                .group_by(messages.c.status)
            )
            found = {str(r[0]): int(r[1]) for r in rows}
        return {s: found.get(s, 0) for s in _PENDING}

    async def webhook_backlog(self) -> int:
        async with self._db.read() as conn:
            n = await conn.scalar(select(func.count()).where(webhook_outbox.c.state.in_(_BACKLOG)))
        return int(n or 0)

    async def receipts_overdue(self, submitted_before: datetime) -> int:
        """``submitted`` messages with a part still pending since before the cutoff."""
        async with self._db.read() as conn:
            n = await conn.scalar(
                select(func.count(func.distinct(messages.c.id)))
                .select_from(
                    messages.join(message_parts, message_parts.c.message_id == messages.c.id)
                )
                .where(
                    messages.c.status == MessageStatus.SUBMITTED.value,
                    message_parts.c.state == PartState.PENDING.value,
                    message_parts.c.updated_at < submitted_before,
                )
            )
        return int(n or 0)
