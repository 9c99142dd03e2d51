"""The push wire format (J3/X3): bodies, local times, signatures, acknowledgements."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from smsrelay.clock import utc
from smsrelay.delivery.webhook_payload import (
    MAX_ACK_BYTES,
    local_time,
    parse_acks,
    render_push,
    signature,
)
from smsrelay.domain.messages import Channel
from smsrelay.domain.status import MessageStatus
from smsrelay.services.webhooks import PushBatch, PushItem, WebhookConfig, WebhookFormat, XmlRoot

AT = utc(2026, 1, 1, 9, 57, 46)  # 12:57:46 in Moscow


def batch(fmt: WebhookFormat, root: XmlRoot = XmlRoot.RESPONSE, tz: int = 0) -> PushBatch:
    return PushBatch(
        account_id=1,
        delivery_id="d" * 32,
        claim_token="t" * 32,
        config=WebhookConfig("http://127.0.0.1/x", fmt, None, root),
        tz_offset_hours=tz,
        items=(
            PushItem(1, 3234, MessageStatus.DELIVERED, AT, Channel.SMS, 1),
            PushItem(2, 3235, MessageStatus.REJECTED, AT, Channel.VIBER, 1),
        ),
    )


def test_json_push_is_the_j3_array() -> None:
    """JSON: an array of {id_sms (number), time (local), state (§1.7 word)}."""
    body, content_type = render_push(batch(WebhookFormat.JSON))
    expected = (
        b'[{"id_sms":3234,"time":"2026-01-01 12:57:46","state":"deliver"},'
        b'{"id_sms":3235,"time":"2026-01-01 12:57:46","state":"not_deliver"}]'
    )
    assert (expected, "application/json; charset=utf-8") == (body, content_type)


def test_xml_push_is_the_x3_document_with_channel_attributes() -> None:
    """XML: <response><state id_sms time sms|viber>word</state></response>."""
    body, content_type = render_push(batch(WebhookFormat.XML))
    expected = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<response>'
        b'<state id_sms="3234" time="2026-01-01 12:57:46" sms="deliver">deliver</state>'
        b'<state id_sms="3235" time="2026-01-01 12:57:46" viber="not_deliver">not_deliver</state>'
        b"</response>"
    )
    assert (expected, "text/xml; charset=utf-8") == (body, content_type)


def test_xml_push_with_the_request_root_is_the_white_label_shape() -> None:
    """Root ``request`` ([WL], spec §8 item 10): no sms/viber attributes."""
    body, _ = render_push(batch(WebhookFormat.XML, XmlRoot.REQUEST))
    assert body.endswith(
        b'<request><state id_sms="3234" time="2026-01-01 12:57:46">deliver</state>'
        b'<state id_sms="3235" time="2026-01-01 12:57:46">not_deliver</state></request>'
    )


def test_times_are_the_accounts_local_time() -> None:
    """Moscow plus the account's offset; unknown time is the empty string."""
    assert ("2026-01-01 14:57:46", "2026-01-01 10:57:46", "") == (
        local_time(AT, 2),
        local_time(AT, -2),
        local_time(None, 0),
    )


def test_signature_is_hmac_sha256_of_the_body() -> None:
    """sha256=<hex>, verifiable with the standard library."""
    body = b'[{"id_sms":1}]'
    expected = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert expected == signature("k", body)


@pytest.mark.parametrize(
    ("body", "acked"),
    [
        (b'[{"id_sms":3234},{"id_sms":3235}]', {3234, 3235}),
        (b'[{"id_sms":"3234"},{"id_sms":" 3235 "}]', {3234, 3235}),  # ids as strings
        (b'{"id_sms":3234}', {3234}),
        (b'[3234, "3235"]', {3234, 3235}),
        (b'[{"id_sms":true},{"id_sms":-1},{"id_sms":"x"},{"id_sms":1.5},{"other":1}]', set()),
        (b'[{"id_sms":99999999999999999999}]', set()),
        (b"<response><id_sms>3234</id_sms><id_sms> 3235 </id_sms></response>", {3234, 3235}),
        (b'<?xml version="1.0" encoding="utf-8" ?>\n<response><id_sms>7</id_sms></response>', {7}),
        (b"not json", set()),
        (b"<response><id_sms>1</id_sms>", set()),  # malformed
        (b"", set()),
    ],
)
def test_acks_are_parsed_tolerantly(body: bytes, acked: set[int]) -> None:
    """Echoed ids as numbers or strings, JSON or XML, whatever format was pushed; junk acks
    nothing."""
    assert acked == parse_acks(body, WebhookFormat.JSON)
    assert acked == parse_acks(body, WebhookFormat.XML)


def test_xml_acks_with_a_dtd_are_refused() -> None:
    """No DTD, so no entity expansion (billion laughs) and no external entities."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "1234">]>'
        b"<response><id_sms>&a;</id_sms></response>"
    )
    assert set() == parse_acks(bomb, WebhookFormat.XML)


def test_acks_beyond_the_size_limit_are_ignored() -> None:
    """Only the first MAX_ACK_BYTES are looked at."""
    body = b"[" + b" " * MAX_ACK_BYTES + b'{"id_sms":1}]'
    assert set() == parse_acks(body, WebhookFormat.JSON)
