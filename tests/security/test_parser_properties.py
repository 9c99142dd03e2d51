"""Properties of the dialect parsers (part of the fuzz harness, no I/O): any input gives a
parsed value or one of our domain errors, nothing else (an escaping exception is a 5xx)."""

from __future__ import annotations

import contextlib
from xml.etree.ElementTree import Element

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from smsrelay.api import json_dialect, xml_account, xml_send
from smsrelay.api.lenient_http import parse_query, repair_request_line
from smsrelay.api.xml_core import credentials_of, parse_document
from smsrelay.domain.errors import DomainError

from .test_fuzz_dialects import JSON_VALUE, _xml_documents

PROPS = settings(max_examples=300, deadline=None, database=None)


@PROPS
@given(st.one_of(st.binary(max_size=300), JSON_VALUE.map(orjson.dumps)))
def test_json_parsers_raise_only_domain_errors(body: bytes) -> None:
    for parse in (
        lambda b: json_dialect.parse_send(b, 100),
        lambda b: json_dialect.parse_state(b, 100),
        json_dialect.parse_balance,
    ):
        with contextlib.suppress(DomainError):
            parse(body)


@PROPS
@given(st.one_of(st.binary(max_size=300), _xml_documents("t" * 40)))
def test_xml_parsers_raise_only_domain_errors(body: bytes) -> None:
    try:
        root = parse_document(body)
    except DomainError:
        return
    assert isinstance(root, Element)
    for parse in (
        credentials_of,
        xml_send.parse_send,
        xml_send.parse_state_ids,
        xml_account.parse_registrations,
        xml_account.parse_credits,
    ):
        with contextlib.suppress(DomainError):
            parse(root)


@PROPS
@given(st.binary(max_size=300))
def test_query_parsing_and_request_line_repair_never_fail(raw: bytes) -> None:
    params = parse_query(raw)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    repaired = repair_request_line(b"GET /sendsms.php?" + raw + b" HTTP/1.1\r\n")
    assert repaired.endswith(b" HTTP/1.1\r\n")
