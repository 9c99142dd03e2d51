"""Finding 1: every malformed XML document is answered with the §1.8 format error literal,
never with a 5xx (an unknown ``encoding`` used to raise ``LookupError`` out of the parser)."""

from __future__ import annotations

from xml.etree.ElementTree import fromstring

import pytest

from e2e.conftest import Platform
from smsrelay.api.literals import Dialect, document_error
from smsrelay.api.xml_core import parse_document
from smsrelay.domain.accounts import Lang
from smsrelay.domain.errors import DocumentError, DocumentErrorCode

BAD_FORMAT_RU = document_error(DocumentErrorCode.BAD_FORMAT, Dialect.XML, Lang.RU)

#: Documents the parser cannot read for reasons other than a syntax error.
MALFORMED = [
    b'<?xml version="1.0" encoding="foo"?><request/>',
    b'<?xml version="1.0" encoding=""?><request/>',
    b'<?xml version="1.0" encoding="utf-32"?><request/>',
    b'<?xml version="1.0" encoding="utf-16"?><request/>',
    b'<?xml version="1.0" encoding="x-user-defined"?><request/>',
    b'<?xml version="1.0" encoding="rot13"?><request/>',
    b'<?xml version="1.0" encoding="base64"?><request/>',
    b'<?xml version="1.0" encoding="\xff\xfe"?><request/>',
    b"\xff\xfe<\x00r\x00/\x00>",
    b"\x00" * 64,
    b"<request>" * 5000,
]


@pytest.mark.parametrize("body", MALFORMED)
def test_parser_refuses_unreadable_documents_as_format_errors(body: bytes) -> None:
    """The parser raises only ``DocumentError``, whatever the declaration asks for."""
    with pytest.raises(DocumentError) as caught:
        parse_document(body)
    assert DocumentErrorCode.BAD_FORMAT == caught.value.code


async def test_every_xml_endpoint_answers_the_format_literal(platform: Platform) -> None:
    """Each XML route (found from the app, so new routes are covered) answers 200 with the
    format error literal for an unknown declared encoding (X19 ``file.php`` takes multipart,
    not XML, and answers in plain text: it only must not fail)."""
    paths = sorted(
        {
            route.path
            for route in platform.runtime.app.routes
            if getattr(route, "path", "").startswith("/xml")
        }
    )
    assert len(paths) > 15
    for path in paths:
        for body in MALFORMED[:3]:
            r = await platform.post_raw(path, body, {"Content-Type": "text/xml"})
            assert 200 == r.status_code, (path, body, r.text)
            if path == "/xml/file.php":
                continue
            root = fromstring(r.content)
            error = root.find("error")
            assert error is not None, (path, r.text)
            assert BAD_FORMAT_RU == error.text, path
