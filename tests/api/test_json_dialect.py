"""The JSON dialect's pure parse and render functions (no HTTP)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsrelay.api.json_dialect import (
    StateRequest,
    format_price,
    parse_balance,
    parse_send,
    parse_state,
    render_send,
    render_states,
)
from smsrelay.domain.accounts import Lang
from smsrelay.domain.errors import DocumentError, DocumentErrorCode, RecipientError
from smsrelay.domain.messages import Channel, MessageKind
from smsrelay.domain.money import Money
from smsrelay.domain.status import MessageStatus
from smsrelay.services.commands import Credentials, SendRecipient, SendResult, StateView

AUTH = {"login": "ivan", "password": "pw"}


def _code(call: Any, *args: Any) -> DocumentErrorCode:
    with pytest.raises(DocumentError) as caught:
        call(*args)
    return caught.value.code


@pytest.mark.parametrize(
    ("micros", "expected"),
    [
        (10_600_000, "10.6000000"),
        (0, "0.0000000"),
        (1, "0.0000010"),
        (1_150_000, "1.1500000"),
        (-2_500_000, "-2.5000000"),
        (123_456_789_000_000, "123456789.0000000"),
    ],
)
def test_price_has_exactly_seven_decimals(micros: int, expected: str) -> None:
    """J2 prints the per-part price like ``10.6000000``; zero never becomes ``0E-7``."""
    assert expected == format_price(Money(micros))


def test_missing_price_renders_as_zero() -> None:
    """A view without a price (unknown id) shows ``0.0000000``."""
    assert "0.0000000" == format_price(None)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_price_text_is_the_exact_amount(micros: int) -> None:
    """Whatever the amount, the text is its exact value with 7 decimals."""
    text = format_price(Money(micros))
    assert 7 == len(text.split(".")[1])
    assert Decimal(micros) / 1_000_000 == Decimal(text)


def test_send_maps_every_field_into_the_command() -> None:
    """Numbers become strings, dates parse, inferred extra keys land in ``extra``."""
    body = orjson.dumps(
        {
            **AUTH,
            "message": [
                {
                    "type_send_1": "Viber",
                    "type_send_2": "sms",
                    "type": "flash_sms",
                    "sender": 12345,
                    "text": "hi",
                    "sender_viber": "Shop",
                    "text_viber": "hi there",
                    "button_viber": "Go",
                    "action_viber": "https://example.org",
                    "image_viber": "https://example.org/i.png",
                    "url": "https://example.org/w",
                    "phones": [
                        {
                            "phone": 79612242243,
                            "client_id_sms": 101,
                            "validity_period": "2001-12-31 15:34:54",
                            "time_send": "2001-12-31 12:00",
                            "validity_period_viber": "2001-12-31T13:00:00",
                        },
                        "79612242244",
                    ],
                }
            ],
        }
    )
    command = parse_send(body, 10)
    item = command.items[0]
    assert Credentials(login="ivan", password="pw") == command.credentials
    assert (Channel.VIBER, Channel.SMS, MessageKind.FLASH) == (
        item.channel,
        item.fallback,
        item.kind,
    )
    assert ("12345", "hi") == (item.sender, item.text)
    assert {
        "sender_viber": "Shop",
        "text_viber": "hi there",
        "button_viber": "Go",
        "action_viber": "https://example.org",
        "image_viber": "https://example.org/i.png",
        "url": "https://example.org/w",
    } == item.extra
    assert [
        SendRecipient(
            phone="79612242243",
            client_id_sms="101",
            time_send=datetime(2001, 12, 31, 12, 0),
            validity_period=datetime(2001, 12, 31, 15, 34, 54),
            validity_period_viber=datetime(2001, 12, 31, 13, 0),
        ),
        SendRecipient(phone="79612242244"),
    ] == item.recipients


def test_send_defaults_to_plain_sms_and_drops_messages_without_phones() -> None:
    """No ``type_send_1``/``type``: SMS of kind sms; an empty ``phones`` yields no item."""
    body = orjson.dumps(
        {**AUTH, "message": [{"phones": []}, {"text": "x", "phones": [{"phone": "7"}]}]}
    )
    items = parse_send(body, 10).items
    assert [(Channel.SMS, None, MessageKind.SMS, None)] == [
        (i.channel, i.fallback, i.kind, i.sender) for i in items
    ]


@pytest.mark.parametrize(
    "doc",
    [
        {"token": "t", "message": "x"},
        {"token": "t", "message": [1]},
        {"token": "t", "message": [{"phones": {"phone": "7"}}]},
        {"token": "t", "message": [{"phones": [{"phone": 7.5}]}]},
        {"token": "t", "message": [{"phones": [{"phone": True}]}]},
        {"token": "t", "message": [{"type": "fax", "phones": []}]},
        {"token": "t", "message": [{"phones": [{"phone": "7", "time_send": "soon"}]}]},
        {"token": "t", "message": [{"phones": [{"phone": "7", "validity_period": 1}]}]},
        {"token": 1.5, "message": []},
        [{"token": "t", "message": []}, {"token": "t", "message": []}],
        "text",
    ],
)
def test_wrong_shapes_are_format_errors(doc: Any) -> None:
    """Shapes the dialect does not know refuse the whole document."""
    assert DocumentErrorCode.BAD_FORMAT == _code(parse_send, orjson.dumps(doc), 10)


def test_recipient_limit_counts_across_messages() -> None:
    """More phones than allowed in all messages together is a format error."""
    message = {"phones": [{"phone": "7"}, {"phone": "8"}]}
    body = orjson.dumps({**AUTH, "message": [message, message]})
    assert 4 == sum(len(i.recipients) for i in parse_send(body, 4).items)
    assert DocumentErrorCode.BAD_FORMAT == _code(parse_send, body, 3)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"token": "t", "login": "l", "password": "p"}, Credentials(token="t")),
        ({"token": "", "login": "l", "password": "p"}, Credentials(login="l", password="p")),
        (
            {"login": 79001234567, "password": 1234},
            Credentials(login="79001234567", password="1234"),
        ),
    ],
)
def test_credentials_prefer_the_token(doc: dict[str, Any], expected: Credentials) -> None:
    """Token wins; an empty token is absent; numeric logins become strings."""
    assert expected == parse_balance(orjson.dumps(doc))


@pytest.mark.parametrize(
    "doc", [{}, {"login": "l"}, {"password": "p"}, {"token": ""}, {"token": "t" * 257}]
)
def test_missing_or_absurd_credentials_are_refused(doc: dict[str, Any]) -> None:
    """No usable credentials: "Incorrect login or password"."""
    assert DocumentErrorCode.BAD_CREDENTIALS == _code(parse_balance, orjson.dumps(doc))


@pytest.mark.parametrize("body", [b"", b"  \r\n\t", b"\xef\xbb\xbf"])
def test_blank_body_is_missing_post_data(body: bytes) -> None:
    """Nothing but blanks (or a lone BOM): "POST data is missing"."""
    assert DocumentErrorCode.NO_POST_DATA == _code(parse_balance, body)


def test_state_accepts_scalar_list_and_strings() -> None:
    """``id_sms`` number, string or list; ``detail`` number or string; absent detail is 0."""
    assert StateRequest(Credentials(token="t"), (5,), False) == parse_state(
        b'{"token":"t","id_sms":"5"}', 10
    )
    assert StateRequest(Credentials(token="t"), (5, 6, 7), True) == parse_state(
        b'[{"token":"t","id_sms":[5," 6 ",7],"detail":"1"}]', 10
    )


@pytest.mark.parametrize(
    "doc",
    [
        {"token": "t"},
        {"token": "t", "id_sms": "abc"},
        {"token": "t", "id_sms": -1},
        {"token": "t", "id_sms": 2**63},
        {"token": "t", "id_sms": "99999999999999999999"},
        {"token": "t", "id_sms": 1.0},
        {"token": "t", "id_sms": [1, [2]]},
        {"token": "t", "id_sms": 1, "detail": 2},
        {"token": "t", "id_sms": 1, "detail": "yes"},
        {"token": "t", "id_sms": [1, 2, 3, 4]},
    ],
)
def test_state_wrong_values_are_format_errors(doc: dict[str, Any]) -> None:
    """Bad ids, bad detail, too many ids: the document is refused."""
    assert DocumentErrorCode.BAD_FORMAT == _code(parse_state, orjson.dumps(doc), 3)


def test_render_send_entries() -> None:
    """Accepted: state + numeric id; refused: the error alone."""
    results = [SendResult(id_sms=2**40, parts=1), SendResult(error=RecipientError.NO_TEXT)]
    assert (
        b'{"information":[{"state":"send","id_sms":1099511627776},{"error":"No message text"}]}'
        == render_send(results, Lang.EN)
    )


def test_render_send_refuses_an_accepted_result_without_id() -> None:
    """A service bug is not rendered as a success."""
    with pytest.raises(ValueError):
        render_send([SendResult()], Lang.RU)


def test_render_states_hides_time_while_send() -> None:
    """Pending statuses read ``send`` with an empty time even if the view has one."""
    view = StateView(7, MessageStatus.SUBMITTING, datetime(2020, 1, 1), 1, Money(1))
    assert b'[{"id_sms":7,"time_change_state":"","state":"send"}]' == render_states([view], False)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


def _dumps(value: Any) -> bytes:
    """Standard-library JSON: unlike orjson it writes any integer (and Infinity)."""
    return json.dumps(value).encode()


KEYS = st.sampled_from(
    ["token", "login", "password", "message", "phones", "phone", "id_sms", "detail"]
)
DOCS = st.dictionaries(KEYS, JSON_VALUES, max_size=5)


PHONES = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "phone": JSON_VALUES | st.just("79612242243"),
            "client_id_sms": JSON_VALUES,
            "time_send": JSON_VALUES | st.just("2001-12-31 15:34"),
            "validity_period": JSON_VALUES | st.just("2001-12-31 15:34:54"),
        },
    )
    | JSON_VALUES,
    max_size=3,
)
MESSAGES = st.lists(
    st.fixed_dictionaries(
        {"phones": PHONES},
        optional={
            key: JSON_VALUES | st.sampled_from(["sms", "viber", "flashsms", "vcard", ""])
            for key in ("type_send_1", "type_send_2", "type", "sender", "text", "url")
        },
    ),
    max_size=3,
)
SEND_DOCS = st.fixed_dictionaries(
    {"message": MESSAGES}, optional={"token": JSON_VALUES, "login": JSON_VALUES}
)


@given(st.binary(max_size=200) | DOCS.map(_dumps) | JSON_VALUES.map(_dumps) | SEND_DOCS.map(_dumps))
def test_any_body_gives_a_request_or_a_document_error(body: bytes) -> None:
    """Whatever the bytes, every parser returns or raises ``DocumentError`` - nothing else."""
    for parse in (
        lambda: parse_send(body, 50),
        lambda: parse_state(body, 50),
        lambda: parse_balance(body),
    ):
        with contextlib.suppress(DocumentError):
            parse()
