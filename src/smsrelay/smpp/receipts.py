"""Delivery receipt text (SMPP 3.4 Appendix B) and carrier message id spellings.

The de-facto format is::

    id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
    err:E text:...

Carriers bend it in every way, so :func:`parse_receipt_text` is tolerant: keys in any order and
any case (``Text:``, ``submit_date:``), missing fields, 10- or 12-digit dates; it never raises.
The first occurrence of a key wins, and a key already seen is ordinary text (so ``text:`` may
contain ``id:``). When a deliver_sm carries the ``receipted_message_id`` TLV, prefer it over the
text's ``id`` (:func:`receipt_ids`).

Most receipts are written exactly in the Appendix B layout (lower-case keys in order, one space
apart), so one anchored pattern reads them first; anything else takes the tolerant key scan
(:func:`parse_receipt_text_generic`), which gives the same result for the exact layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .constants import MessageState

__all__ = [
    "STAT_WORDS",
    "ReceiptText",
    "format_receipt_text",
    "id_spellings",
    "parse_receipt_text",
    "parse_receipt_text_generic",
    "parse_stat",
    "receipt_ids",
    "stat_word",
]

MAX_RECEIPT_TEXT = 1024  # bounded input: a receipt is one short_message or one payload TLV
MAX_ID = 65  # receipted_message_id / message_id are C-octet strings of at most 65 octets

_KEY = re.compile(
    r"(?:(?<=\s)|^)(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:",
    re.IGNORECASE,
)
_KEY_NAMES = {"submitdate": "submit_date", "donedate": "done_date"}
# The exact Appendix B layout. Values hold no whitespace (so no key can start inside one, as
# keys follow whitespace), dates are ASCII digits and every key appears once, in order; the
# text is the rest. These are the cases in which the key scan gives the same values.
_EXACT = re.compile(
    r"id:([!-~]*) sub:([!-~]*) dlvrd:([!-~]*) submit date:([0-9]*) done date:([0-9]*)"
    r" stat:([!-~]*) err:([!-~]*) text:(.*)",
    re.DOTALL,
)

#: stat word (as written in receipts, §B and common variants) -> message_state.
STAT_WORDS: dict[str, MessageState] = {
    "ENROUTE": MessageState.ENROUTE,
    "DELIVRD": MessageState.DELIVERED,
    "DELIVERED": MessageState.DELIVERED,
    "EXPIRED": MessageState.EXPIRED,
    "DELETED": MessageState.DELETED,
    "UNDELIV": MessageState.UNDELIVERABLE,
    "UNDELIVERABLE": MessageState.UNDELIVERABLE,
    "ACCEPTD": MessageState.ACCEPTED,
    "ACCEPTED": MessageState.ACCEPTED,
    "UNKNOWN": MessageState.UNKNOWN,
    "REJECTD": MessageState.REJECTED,
    "REJECTED": MessageState.REJECTED,
}
_CANONICAL: dict[MessageState, str] = {
    MessageState.ENROUTE: "ENROUTE",
    MessageState.DELIVERED: "DELIVRD",
    MessageState.EXPIRED: "EXPIRED",
    MessageState.DELETED: "DELETED",
    MessageState.UNDELIVERABLE: "UNDELIV",
    MessageState.ACCEPTED: "ACCEPTD",
    MessageState.UNKNOWN: "UNKNOWN",
    MessageState.REJECTED: "REJECTD",
}


@dataclass(frozen=True, slots=True)
class ReceiptText:
    id: str | None = None
    sub: str | None = None
    dlvrd: str | None = None
    submit_date: datetime | None = None  # as written by the carrier, labelled UTC
    done_date: datetime | None = None
    stat: str | None = None  # upper-cased word, e.g. "DELIVRD"
    err: str | None = None
    text: str | None = None

    @property
    def state(self) -> MessageState | None:
        return parse_stat(self.stat)


def parse_stat(word: str | None) -> MessageState | None:
    if not word:
        return None
    return STAT_WORDS.get(word.strip().upper())


def stat_word(state: MessageState) -> str:
    return _CANONICAL[state]


def _parse_date(value: str) -> datetime | None:
    digits = value.strip()
    if len(digits) not in (10, 12) or not digits.isdigit():
        return None
    try:
        return datetime(
            2000 + int(digits[0:2]),
            int(digits[2:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12] or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def parse_receipt_text(raw: str | bytes) -> ReceiptText:
    """Parse receipt text tolerantly; unknown or absent fields are ``None``."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    text = text[:MAX_RECEIPT_TEXT]
    m = _EXACT.fullmatch(text)
    if m is None:
        return parse_receipt_text_generic(text)
    ident, sub, dlvrd, submitted, done, stat, err, rest = m.groups()
    return ReceiptText(
        id=ident[:MAX_ID] or None,
        sub=sub,
        dlvrd=dlvrd,
        submit_date=_parse_date(submitted),
        done_date=_parse_date(done),
        stat=stat.upper() if stat else None,
        err=err,
        text=rest.strip(),
    )


def parse_receipt_text_generic(raw: str | bytes) -> ReceiptText:
    """:func:`parse_receipt_text` by the tolerant key scan alone (any layout)."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    text = text[:MAX_RECEIPT_TEXT]
    seen: dict[str, tuple[int, int]] = {}
    marks: list[tuple[str, int, int]] = []
    for m in _KEY.finditer(text):
        key = m.group(1).lower().replace(" ", "").replace("_", "")
        key = _KEY_NAMES.get(key, key)
        if key in seen:
            continue
        seen[key] = (m.start(), m.end())
        marks.append((key, m.start(), m.end()))
    values: dict[str, str] = {}
    for i, (key, _, value_start) in enumerate(marks):
        value_end = marks[i + 1][1] if i + 1 < len(marks) else len(text)
        values[key] = text[value_start:value_end].strip()
    ident = values.get("id") or None
    stat = values.get("stat")
    return ReceiptText(
        id=ident[:MAX_ID] if ident else None,
        sub=values.get("sub"),
        dlvrd=values.get("dlvrd"),
        submit_date=_parse_date(values.get("submit_date", "")),
        done_date=_parse_date(values.get("done_date", "")),
        stat=stat.upper() if stat else None,
        err=values.get("err"),
        text=values.get("text"),
    )


def format_receipt_text(
    message_id: str,
    state: MessageState,
    *,
    submitted: datetime,
    done: datetime,
    err: int = 0,
    text: str = "",
    sub: int = 1,
    dlvrd: int | None = None,
) -> str:
    """The standard Appendix B receipt text; ``text`` is cut to its first 20 characters."""
    delivered = (1 if state is MessageState.DELIVERED else 0) if dlvrd is None else dlvrd
    return (
        f"id:{message_id} sub:{sub:03d} dlvrd:{delivered:03d} "
        f"submit date:{submitted:%y%m%d%H%M} done date:{done:%y%m%d%H%M} "
        f"stat:{stat_word(state)} err:{err:03d} text:{text[:20]}"
    )


def id_spellings(carrier_id: str) -> tuple[str, ...]:
    """The spellings one carrier id may take elsewhere, the id as given first.

    Carriers answer submit_sm_resp in hex and the receipt in decimal (or the reverse), pad
    with zeros and change case, so: as given; case variants; without leading zeros; if all
    decimal digits, its hex form; if it reads as hex, its decimal form.
    """
    given = carrier_id.strip()[:MAX_ID]
    out: list[str] = []

    def add(value: str) -> None:
        if value and value not in out:
            out.append(value)

    for base in (given, given.lstrip("0") or "0"):
        add(base)
        add(base.lower())
        add(base.upper())
    if given.isdigit():
        value = int(given)
        add(format(value, "x"))
        add(format(value, "X"))
    if given and all(c in "0123456789abcdefABCDEF" for c in given):
        add(str(int(given, 16)))
    return tuple(out)


def receipt_ids(tlv_id: str | None, text_id: str | None) -> tuple[str, ...]:
    """Candidate ids for a receipt: the TLV id's spellings first, then the text id's."""
    out: list[str] = []
    for source in (tlv_id, text_id):
        if source and source.strip():
            for spelling in id_spellings(source):
                if spelling not in out:
                    out.append(spelling)
    return tuple(out)
