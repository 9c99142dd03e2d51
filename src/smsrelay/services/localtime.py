"""Client-facing times are local: Moscow time (spec X18: the server zone) plus the account's
offset in hours. Storage and the engine use UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..domain.accounts import Account

__all__ = ["MOSCOW_UTC_OFFSET_HOURS", "from_local", "local_offset_hours", "to_local"]

MOSCOW_UTC_OFFSET_HOURS = 3  # Europe/Moscow has had no DST since 2014


def _offset(account: Account | None) -> timedelta:
    extra = account.tz_offset_hours if account is not None else 0
    return timedelta(hours=MOSCOW_UTC_OFFSET_HOURS + extra)


def local_offset_hours(account: Account | None) -> int:
    """The account's zone as whole hours from UTC."""
    return MOSCOW_UTC_OFFSET_HOURS + (account.tz_offset_hours if account is not None else 0)


def from_local(value: datetime, account: Account | None) -> datetime:
    """A naive wall-clock time of the account -> aware UTC."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return (value - _offset(account)).replace(tzinfo=UTC)


def to_local(value: datetime, account: Account | None) -> datetime:
    """Aware UTC -> naive wall-clock time of the account."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value.astimezone(UTC) + _offset(account)).replace(tzinfo=None)
