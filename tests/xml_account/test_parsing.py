"""Pure parsing and rendering of the XML sending and account endpoints (no I/O)."""

from __future__ import annotations

import pytest

from smsrelay.api.xml_account import (
    close_client_tags,
    parse_credits,
    parse_registrations,
    render_credits,
    render_senders,
)
from smsrelay.api.xml_core import parse_document
from smsrelay.api.xml_send import parse_send, parse_state_ids, render_send, render_states
from smsrelay.domain.accounts import Lang
from smsrelay.domain.errors import DocumentError, RecipientError, ValidationError
from smsrelay.domain.messages import Channel, MessageKind
from smsrelay.domain.money import Money
from smsrelay.domain.senders import SenderState
from smsrelay.domain.status import MessageStatus
from smsrelay.services.commands import SendRecipient, SendResult, StateView
from smsrelay.services.reseller import CreditOrder, CreditOutcome, CreditRefusal
from smsrelay.services.senders import Registration, SenderListing


def test_send_document_becomes_items() -> None:
    """Channels, fallback, kind (``flash_sms`` spelling), literal ``\\n``, abonent attributes
    and dates; a message without abonents is dropped."""
    root = parse_document(
        b'<request><message type_send_1="VIBER" type_send_2="sms" type="flash_sms">'
        b"<sender>S</sender><text>a\\nb</text><sender_viber>V</sender_viber>"
        b"<text_viber>x\\ny</text_viber>"
        b'<abonent phone="79001234567" number_sms="3" client_id_sms=" 9 " '
        b'time_send="2030-01-02 03:04" validity_period="2030-01-03 00:00:00"/></message>'
        b"<message><sender>S</sender><text>none</text></message></request>"
    )
    (item,) = parse_send(root)
    assert (Channel.VIBER, Channel.SMS, MessageKind.FLASH) == (
        item.channel,
        item.fallback,
        item.kind,
    )
    assert ("S", "a\nb") == (item.sender, item.text)
    assert {"sender_viber": "V", "text_viber": "x\ny"} == item.extra
    rcpt = item.recipients[0]
    assert ("79001234567", "3", "9") == (rcpt.phone, rcpt.number_sms, rcpt.client_id_sms)
    assert (2030, 1, 2, 3, 4) == rcpt.time_send.timetuple()[:5]  # type: ignore[union-attr]


def test_send_limits_and_bad_values() -> None:
    """Too many abonents, an unknown kind or channel, a bad date: format errors."""
    many = b"<request><message>" + b'<abonent phone="1"/>' * 3 + b"</message></request>"
    for body, limit in (
        (many, 2),
        (b'<request><message type="fax"><abonent phone="1"/></message></request>', 10),
        (b'<request><message type_send_1="mms"><abonent phone="1"/></message></request>', 10),
        (b'<request><message><abonent phone="1" validity_period="soon"/></message></request>', 10),
    ):
        with pytest.raises(DocumentError):
            parse_send(parse_document(body), limit)


def test_send_answers_render_in_order() -> None:
    """``send`` with id, parts, per-part price and sum; refusals the XML-page text only."""
    results = [
        SendResult(id_sms=5, parts=2, price=Money.parse("1.15"), number_sms="1"),
        SendResult(error=RecipientError.VCARD_INCOMPLETE, number_sms="2"),
        SendResult(error=RecipientError.NO_TEXT),
    ]
    assert [
        '<information number_sms="1" id_sms="5" parts="2" price="1.15" price_sum="2.3">'
        "send</information>",
        '<information number_sms="2">Provide the contact name and at least one parameter'
        " for a business card</information>",
        "<information>No message text</information>",
    ] == render_send(results, Lang.EN)
    _ = SendRecipient


def test_state_ids_in_every_spelling() -> None:
    """``<id_sms>`` children, raw ids, commas, several ``get_state`` blocks; junk refused."""
    root = parse_document(
        b"<request><get_state> 1, 2 <id_sms>3</id_sms> 4 <id_sms> 5 </id_sms></get_state>"
        b"<get_state>6;7</get_state></request>"
    )
    assert [1, 2, 3, 4, 5, 6, 7] == parse_state_ids(root)
    for body in (
        b"<request/>",
        b"<request><get_state>x1</get_state></request>",
        b"<request><get_state><id>1</id></get_state></request>",
        b"<request><get_state>99999999999999999999</get_state></request>",
    ):
        with pytest.raises(DocumentError):
            parse_state_ids(parse_document(body))
    with pytest.raises(DocumentError):
        parse_state_ids(parse_document(b"<request><get_state>1 2 3</get_state></request>"), 2)


def test_state_rendering_per_channel() -> None:
    """Per-channel attributes when set; ``time`` empty while ``send``."""
    views = [
        StateView(7, MessageStatus.QUEUED, None, 1, Money.parse("2"), viber=MessageStatus.QUEUED),
        StateView(8, None, None),
    ]
    assert [
        '<state id_sms="7" time="" viber="send" num_parts="1" price="2">send</state>',
        '<state id_sms="8" time="">Сообщение с таким ID не принималось</state>',
    ] == render_states(views)


def test_registration_parsing() -> None:
    """Attributes case-insensitively; operator and file inside the originator or shared."""
    root = parse_document(
        b'<request><originator INN="1" Kpp="2" ogrn="3" NAME_COUNTERPARTY="C" template="T">'
        b' Shop </originator><originator>Two<operator mcc="250" MNC="2"/><file ID="9"/>'
        b'</originator><operator MCC="255" mnc="1">Kyivstar</operator>'
        b'<file href="http://h/x"/></request>'
    )
    one, two = parse_registrations(root)
    assert (
        Registration("Shop", "1", "2", "3", "C", "T", "", "Kyivstar", "255", "1", "http://h/x")
        == one
    )
    assert Registration("Two", operator="", mcc="250", mnc="2", file_id=9) == two
    with pytest.raises(ValidationError):
        parse_registrations(
            parse_document(b'<request><originator><operator mcc="x"/>S</originator></request>')
        )


def test_sender_list_rendering() -> None:
    """TRUE alone, or FALSE with every attribute present (empty when unknown)."""
    assert ["<any_originator>TRUE</any_originator>"] == render_senders(True, [])
    listing = SenderListing("l", "N&B", SenderState.REJECTED, history="no")
    assert [
        "<any_originator>FALSE</any_originator>",
        '<list_originator><originator MCC="" MNC="" template="" comment="" history="no" '
        'operator="" state="rejected">N&amp;B</originator></list_originator>',
    ] == render_senders(False, [listing])


def test_credit_parsing_and_rendering() -> None:
    """Types case-insensitively in the spec's spelling; unclosed tags closed; bad amounts and
    types refused."""
    body = close_client_tags(
        b'<request><client login_client="a" balance="1.5" type_transaction="qiwi">'
        b'<client login_client="b" balance="2" type_transaction="WRITE_OFF"></client></request>'
    )
    orders = parse_credits(parse_document(body))
    assert [
        CreditOrder("a", Money.parse("1.5"), "Qiwi"),
        CreditOrder("b", Money.parse("2"), "write_off"),
    ] == orders
    assert [False, True] == [o.write_off for o in orders]
    for amount, kind in (("0", "manager"), ("abc", "manager"), ("1", "gift"), ("1e12", "manager")):
        with pytest.raises(ValidationError):
            CreditOrder.parse("a", amount, kind)
    assert [
        '<transaction login="a" id_transaction="3" />',
        '<transaction login="b" id_transaction="NO_USER" />',
    ] == render_credits([CreditOutcome("a", 3), CreditOutcome("b", refusal=CreditRefusal.NO_USER)])
