"""vCard 2.1 business cards for SMS (pure): the text sent as 8-bit data to port 9204.

The fields come from the X1 send request (spec §4 X1: ``name``, ``phone@cell/@work/@fax``,
``email``, ``position``, ``organization``, ``address@…``, ``additional``, ``url``), stored in
``OutboundMessage.extra`` as ``name``, ``phone_cell``…, ``address_street``…; the shorter
spellings (``cell``, ``work``, ``fax``, ``title``, ``org``, ``note``, ``street``…) are accepted
too. Output (lines end with CRLF, empty fields are left out)::

    BEGIN:VCARD
    VERSION:2.1
    N:<name>
    TEL;CELL:… / TEL;WORK:… / TEL;FAX:…
    EMAIL;INTERNET:…
    TITLE:<position>
    ORG:<organization>
    ADR:<PO box>;;<street>;<city>;<region>;<postal code>;<country>
    URL:<url>
    NOTE:<additional>
    END:VCARD

A value that is not plain printable ASCII (Cyrillic, line breaks) is written as UTF-8 in
quoted-printable (``;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE``, vCard 2.1 §2.1.3, §2.1.5), so
the card stays 7-bit clean whatever the handset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["VCARD_ALIASES", "vcard"]

#: field -> the keys it may be stored under, preferred first
VCARD_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "name": ("name", "vcard_name"),
    "cell": ("phone_cell", "cell"),
    "work": ("phone_work", "work"),
    "fax": ("phone_fax", "fax"),
    "email": ("email",),
    "title": ("position", "title"),
    "org": ("organization", "org"),
    "pobox": ("address_post_office_box", "post_office_box"),
    "street": ("address_street", "street"),
    "city": ("address_city", "city"),
    "region": ("address_region", "region"),
    "postal": ("address_postal_code", "postal_code"),
    "country": ("address_country", "country"),
    "url": ("url",),
    "note": ("additional", "note"),
}

_SIMPLE: Final = (
    ("N", "name"),
    ("TEL;CELL", "cell"),
    ("TEL;WORK", "work"),
    ("TEL;FAX", "fax"),
    ("EMAIL;INTERNET", "email"),
    ("TITLE", "title"),
    ("ORG", "org"),
)
_ADR: Final = ("pobox", "", "street", "city", "region", "postal", "country")
_TAIL: Final = (("URL", "url"), ("NOTE", "note"))


def _get(fields: Mapping[str, str], field: str) -> str:
    for key in VCARD_ALIASES[field]:
        value = fields.get(key)
        if value is not None and value.strip():
            return value.strip()
    return ""


def _plain(value: str) -> bool:
    return all(" " <= ch <= "~" for ch in value)


def _quoted_printable(value: str) -> str:
    out: list[str] = []
    for byte in value.encode("utf-8"):
        if (0x21 <= byte <= 0x7E and byte != 0x3D) or byte == 0x20:
            out.append(chr(byte))
        else:
            out.append(f"={byte:02X}")
    return "".join(out)


def _line(name: str, value: str) -> str:
    if _plain(value):
        return f"{name}:{value}"
    return f"{name};CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_quoted_printable(value)}"


def _component(value: str) -> str:
    """One component of a structured value: ``;`` separates components (vCard 2.1 §2.4)."""
    return value.replace("\\", "\\\\").replace(";", "\\;")


def vcard(fields: Mapping[str, str]) -> str:
    """The vCard 2.1 text of the fields (CRLF line ends)."""
    lines = ["BEGIN:VCARD", "VERSION:2.1"]
    for name, field in _SIMPLE:
        value = _get(fields, field)
        if value:
            lines.append(_line(name, _component(value) if name in ("N", "ORG") else value))
    address = [_component(_get(fields, f)) if f else "" for f in _ADR]
    if any(address):
        lines.append(_line("ADR", ";".join(address)))
    for name, field in _TAIL:
        value = _get(fields, field)
        if value:
            lines.append(_line(name, value))
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"
