"""Wire date-times (spec §1.6): parse and format naive local times.

Clients send ``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DD HH:MM`` (the docs disagree, so both are
accepted, also with ISO's ``T`` separator); an empty string means "not set". Responses use
``YYYY-MM-DD HH:MM:SS``. The service layer converts naive local time to and from UTC.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..domain.errors import ValidationError

__all__ = [
    "MAX_WIRE_DATETIME_CHARS",
    "format_wire_datetime",
    "format_wire_time",
    "parse_wire_datetime",
]

#: Longest input looked at; anything longer is refused before matching.
MAX_WIRE_DATETIME_CHARS = 32

_WIRE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?", re.ASCII
)


def parse_wire_datetime(text: str) -> datetime | None:
    """``"2001-12-31 15:34:54"`` or ``"2001-12-31 15:34"`` -> naive datetime; ``""`` -> None.

    Surrounding whitespace is ignored. Raises :class:`ValidationError` for anything else
    (the message never echoes the client's value).
    """
    if len(text) > MAX_WIRE_DATETIME_CHARS:
        raise ValidationError("date-time too long")
    stripped = text.strip()
    if not stripped:
        return None
    match = _WIRE.fullmatch(stripped)
    if match is None:
        raise ValidationError("date-time is not YYYY-MM-DD HH:MM[:SS]")
    year, month, day, hour, minute, second = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError as exc:
        raise ValidationError("date-time out of range") from exc


def format_wire_datetime(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` of the value's own wall-clock fields (always 19 characters)."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )


def format_wire_time(moment: datetime | None) -> str:
    """Like :func:`format_wire_datetime`; ``None`` -> ``""`` (a status still ``send``, §1.6)."""
    return "" if moment is None else format_wire_datetime(moment)
