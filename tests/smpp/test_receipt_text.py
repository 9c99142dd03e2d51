"""Delivery receipt text (Appendix B) parsing tables, formatting, and id spellings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsrelay.smpp import (
    MessageState,
    ReceiptText,
    format_receipt_text,
    id_spellings,
    parse_receipt_text,
    receipt_ids,
)

D = datetime

PARSE_TABLE = [
    (
        "id:0123456789 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 "
        "stat:DELIVRD err:000 text:Hello",
        ReceiptText(
            "0123456789",
            "001",
            "001",
            D(2026, 1, 1, 12, 0, tzinfo=UTC),
            D(2026, 1, 1, 12, 1, tzinfo=UTC),
            "DELIVRD",
            "000",
            "Hello",
        ),
    ),
    (
        "stat:UNDELIV err:001 id:ABC",
        ReceiptText(id="ABC", stat="UNDELIV", err="001"),
    ),
    (
        "ID:5f2a SUB:001 DLVRD:000 SUBMIT DATE:260101120000 DONE DATE:260101120130 "
        "STAT:expired ERR:0 Text:x",
        ReceiptText(
            "5f2a",
            "001",
            "000",
            D(2026, 1, 1, 12, 0, tzinfo=UTC),
            D(2026, 1, 1, 12, 1, 30, tzinfo=UTC),
            "EXPIRED",
            "0",
            "x",
        ),
    ),
    (
        "id:77 submit_date:2601011200 done_date:bad stat:DELIVRD",
        ReceiptText(id="77", submit_date=D(2026, 1, 1, 12, 0, tzinfo=UTC), stat="DELIVRD"),
    ),
    (
        "id:1 stat:DELIVRD text:my id: is stat: nothing",
        ReceiptText(id="1", stat="DELIVRD", text="my id: is stat: nothing"),
    ),
    ("text:first id:9 stat:REJECTD", ReceiptText(id="9", stat="REJECTD", text="first")),
    ("no receipt here at all", ReceiptText()),
    ("", ReceiptText()),
    ("id: stat:", ReceiptText(stat=None)),
    ("xid:1 status:DELIVRD", ReceiptText()),
    ("id:1 done date:2613011200 stat:ACCEPTD", ReceiptText(id="1", stat="ACCEPTD")),
]


@pytest.mark.parametrize(("raw", "expected"), PARSE_TABLE, ids=[r[0][:30] for r in PARSE_TABLE])
def test_receipt_text_is_parsed_tolerantly(raw: str, expected: ReceiptText) -> None:
    """Any order, any case, missing fields, 10/12-digit dates; bad values become None."""
    assert expected == parse_receipt_text(raw)


def test_receipt_bytes_are_accepted() -> None:
    """A short_message can be parsed as it arrives (bytes)."""
    assert "DELIVRD" == parse_receipt_text(b"id:1 stat:DELIVRD").stat


STATES = [
    ("DELIVRD", MessageState.DELIVERED),
    ("delivered", MessageState.DELIVERED),
    ("UNDELIV", MessageState.UNDELIVERABLE),
    ("EXPIRED", MessageState.EXPIRED),
    ("DELETED", MessageState.DELETED),
    ("REJECTD", MessageState.REJECTED),
    ("UNKNOWN", MessageState.UNKNOWN),
    ("ACCEPTD", MessageState.ACCEPTED),
    ("ENROUTE", MessageState.ENROUTE),
    ("BOGUS", None),
]


@pytest.mark.parametrize(("word", "state"), STATES)
def test_stat_words_map_to_message_states(word: str, state: MessageState | None) -> None:
    """The stat word (and common long spellings) maps onto the message_state values."""
    assert state == parse_receipt_text(f"id:1 stat:{word}").state


def test_format_is_the_appendix_b_layout_and_parses_back() -> None:
    """The simulator's receipt text is the standard layout and round-trips through the parser."""
    text = format_receipt_text(
        "5F2A",
        MessageState.DELIVERED,
        submitted=D(2026, 3, 4, 5, 6, tzinfo=UTC),
        done=D(2026, 3, 4, 5, 7, tzinfo=UTC),
        text="a long message text that goes on",
    )
    assert (
        "id:5F2A sub:001 dlvrd:001 submit date:2603040506 done date:2603040507 stat:DELIVRD "
        "err:000 text:a long message text "
    ) == text
    parsed = parse_receipt_text(text)
    assert ("5F2A", MessageState.DELIVERED) == (parsed.id, parsed.state)


SPELLINGS = [
    ("1234", ("1234", "4d2", "4D2", "4660")),
    ("0A1b", ("0A1b", "0a1b", "0A1B", "A1b", "a1b", "A1B", "2587")),
    ("ff", ("ff", "FF", "255")),
    ("msg-1", ("msg-1", "MSG-1")),
    ("007", ("007", "7")),
]


@pytest.mark.parametrize(("carrier_id", "expected"), SPELLINGS)
def test_id_spellings(carrier_id: str, expected: tuple[str, ...]) -> None:
    """As given; case variants; no leading zeros; decimal -> hex; hex-looking -> decimal."""
    assert expected == id_spellings(carrier_id)


def test_hex_and_decimal_spellings_meet() -> None:
    """A hex id from submit_sm_resp and the decimal id of its receipt share a spelling."""
    assert set(id_spellings("4660")) & set(id_spellings("1234"))


def test_receipt_ids_prefer_the_tlv() -> None:
    """The receipted_message_id TLV's spellings come before the text id's."""
    assert ("AB", "ab", "171", "0AB", "0ab") == receipt_ids("AB", "0AB")
