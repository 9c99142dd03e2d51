"""WAP-Push Service Indication and vCard 2.1 encoders: the exact bytes a handset receives."""

from __future__ import annotations

import pytest

from smsrelay.text import vcard, wap


def test_port_element_is_the_16_bit_application_port_ie() -> None:
    """IEI 0x05, length 4, destination then source port, big-endian (TS 23.040 §9.2.3.24.4)."""
    assert bytes.fromhex("0504 0B84 23F0") == wap.port_element(2948, 9200)
    assert bytes.fromhex("0504 23F4 23F4") == wap.port_element(wap.PORT_VCARD, wap.PORT_VCARD)
    with pytest.raises(ValueError):
        wap.port_element(70000, 1)


def test_wsp_push_header_carries_sic_content_type_and_utf8() -> None:
    """TID, PDU type 0x06 (Push), headers length 4, application/vnd.wap.sic; charset=utf-8."""
    assert bytes.fromhex("2A 06 04 03 AE 81 EA") + b"body" == wap.push_pdu(b"body", 0x2A)


@pytest.mark.parametrize(
    ("url", "token", "rest"),
    [
        ("http://example.com/a", 0x0C, b"example.com/a"),
        ("http://www.example.com/", 0x0D, b"example.com/"),
        ("https://shop.example/x", 0x0E, b"shop.example/x"),
        ("HTTPS://www.bank.example", 0x0F, b"bank.example"),
        ("example.com/offer", 0x0C, b"example.com/offer"),
        ("ftp://files.example/", 0x0B, b"ftp://files.example/"),
    ],
)
def test_href_uses_the_prefix_attribute_token(url: str, token: int, rest: bytes) -> None:
    """The href's scheme (and www.) is one attribute-start token; the rest an inline string;
    a URL without a scheme is taken as http://."""
    expected = (
        bytes.fromhex("02 05 6A 00 45 C6")
        + bytes((token, 0x03))
        + rest
        + bytes.fromhex("00 01 03")
        + b"Hi"
        + bytes.fromhex("00 01 01")
    )
    assert expected == wap.service_indication(url, "Hi")


def test_whole_wap_push_body_bytes() -> None:
    """WSP push header followed by the WBXML SI document, text as UTF-8 indication content."""
    expected = (
        bytes.fromhex(
            "01 06 04 03 AE 81 EA"  # WSP: TID 1, Push, headers: content type sic + charset utf-8
            "02 05 6A 00"  # WBXML 1.2, SI 1.0 public id, UTF-8, empty string table
            "45"  # <si>
            "C6 0D 03"  # <indication href="http://www. + inline string
        )
        + b"example.com/new"
        + bytes.fromhex("00 01 03")
        + "Новое".encode()
        + bytes.fromhex("00 01 01")
    )
    assert expected == wap.wap_push("http://www.example.com/new", "Новое")


def test_long_push_is_cut_with_room_for_udh() -> None:
    """One part holds 133 octets (140 - UDHL - port IE); several parts 127 each."""
    assert (b"x" * 133,) == wap.split_octets(b"x" * 133)
    parts = wap.split_octets(b"y" * 300)
    assert [127, 127, 46] == [len(p) for p in parts]
    with pytest.raises(ValueError):
        wap.split_octets(b"z" * 1000, max_parts=3)


def test_vcard_21_text_with_every_field() -> None:
    """Fields in vCard 2.1 order, CRLF line ends, ADR components separated by ';'."""
    fields = {
        "name": "Ivan Petrov",
        "phone_cell": "79033256699",
        "phone_work": "74951234567",
        "phone_fax": "74951234568",
        "email": "ivan@example.com",
        "position": "Manager",
        "organization": "Acme; Ltd",
        "address_post_office_box": "12",
        "address_street": "Tverskaya 1",
        "address_city": "Moscow",
        "address_region": "MO",
        "address_postal_code": "101000",
        "address_country": "Russia",
        "url": "http://acme.example",
        "additional": "Call after 10",
    }
    expected = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Ivan Petrov\r\nTEL;CELL:79033256699\r\n"
        "TEL;WORK:74951234567\r\nTEL;FAX:74951234568\r\nEMAIL;INTERNET:ivan@example.com\r\n"
        "TITLE:Manager\r\nORG:Acme\\; Ltd\r\n"
        "ADR:12;;Tverskaya 1;Moscow;MO;101000;Russia\r\nURL:http://acme.example\r\n"
        "NOTE:Call after 10\r\nEND:VCARD\r\n"
    )
    assert expected == vcard.vcard(fields)


def test_vcard_accepts_short_spellings_and_skips_empty_fields() -> None:
    """``cell``/``work``/``fax``/``org``/``title`` work too; empty values are left out."""
    expected = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Shop\r\nTEL;CELL:7900\r\nORG:Co\r\nEND:VCARD\r\n"
    assert expected == vcard.vcard({"name": "Shop", "cell": "7900", "org": "Co", "email": " "})


def test_vcard_non_ascii_is_quoted_printable_utf8() -> None:
    """A Cyrillic value is UTF-8 in quoted-printable with its CHARSET, so the card is 7-bit."""
    card = vcard.vcard({"name": "Иван", "phone_cell": "7900"})
    assert "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=98=D0=B2=D0=B0=D0=BD\r\n" in card
    assert card.isascii()


def test_octet_parts_counts_like_split() -> None:
    """The part count for billing equals the parts the engine sends."""
    for size in (0, 133, 134, 254, 255, 381, 382):
        assert len(wap.split_octets(b"x" * size)) == wap.octet_parts(b"x" * size)
