"""Number-base checking jobs (spec §6) and their per-number results."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from .schema import Id, UtcDateTime, metadata

__all__ = ["checking_jobs", "checking_phones"]

checking_jobs = Table(
    "checking_jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(32), nullable=False),  # WA_cheking | Viber_cheking | Telegram_cheking
    Column("name", String, nullable=False),
    Column("state", String(16), nullable=False),  # new | inwork | complete | waittopay ...
    Column("total_phones", Integer, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime, nullable=True),
    Index(None, "account_id", "id"),
    sqlite_autoincrement=True,
)

checking_phones = Table(
    "checking_phones",
    metadata,
    Column("job_id", Id, ForeignKey("checking_jobs.id"), primary_key=True),
    Column("phone", String, primary_key=True),
    Column("result", String(16), nullable=True),  # NULL until checked
)
