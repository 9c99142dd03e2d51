"""SMPP time strings (§7.1.1): absolute ``YYMMDDhhmmsstnnp`` and relative ``...000R``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .constants import CommandStatus
from .errors import FieldError

__all__ = ["format_absolute", "format_relative", "parse_time"]


def format_absolute(at: datetime) -> str:
    """``at`` (aware) as an absolute SMPP time in UTC: ``YYMMDDhhmmss`` + ``t`` + ``00+``."""
    if at.tzinfo is None:
        raise ValueError("an aware datetime is required")
    u = at.astimezone(UTC)
    return f"{u:%y%m%d%H%M%S}{u.microsecond // 100_000}00+"


def format_relative(delta: timedelta) -> str:
    """A relative SMPP time (``YYMMDDhhmmss000R``) from a non-negative duration."""
    total = int(delta.total_seconds())
    if total < 0:
        raise ValueError("a relative time cannot be negative")
    days, rest = divmod(total, 86400)
    years, days = divmod(days, 365)
    months, days = divmod(days, 30)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if years > 99:
        raise ValueError("relative time over 99 years")
    return f"{years:02d}{months:02d}{days:02d}{hours:02d}{minutes:02d}{seconds:02d}000R"


def parse_time(value: str, now: datetime | None = None) -> datetime | None:
    """An SMPP time string as an aware UTC datetime; ``""`` -> ``None``.

    A relative time needs ``now``. Raises :class:`FieldError` (ESME_RINVEXPIRY) when malformed.
    """
    if value == "":
        return None
    bad = FieldError(f"malformed SMPP time {value!r}", CommandStatus.ESME_RINVEXPIRY)
    if len(value) != 16 or not value[:15].isdigit() or value[15] not in "+-R":
        raise bad
    yy, mo, dd, hh, mi, ss = (int(value[i : i + 2]) for i in range(0, 12, 2))
    tenths, quarters, sign = int(value[12]), int(value[13:15]), value[15]
    if sign == "R":
        if now is None:
            raise bad
        return now + timedelta(days=yy * 365 + mo * 30 + dd, hours=hh, minutes=mi, seconds=ss)
    if quarters > 48:
        raise bad
    try:
        local = datetime(2000 + yy, mo, dd, hh, mi, ss, tenths * 100_000)
    except ValueError as exc:
        raise bad from exc
    offset = timedelta(minutes=15 * quarters) * (1 if sign == "+" else -1)
    return (local - offset).replace(tzinfo=UTC)
