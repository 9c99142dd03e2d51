"""WAP Push Service Indication over SMS (pure): the bytes of a binary WAP-Push message.

A WAP-Push SMS is 8-bit data (data_coding 0x04) whose user data header carries the application
port element (3GPP TS 23.040 §9.2.3.24.4, IE 0x05: destination 2948 = WAP Push connectionless,
source 9200 = WAP connectionless session service) and whose body is::

    WSP push PDU (WAP-230 §8.2.4.1)             WBXML SI document (WAP-167 §8, WBXML 1.2)
    TID  0x06  hdrlen  content-type + charset   02 05 6A 00  45 C6 <href> 01  03 text 00  01 01
    01   06    04      03 AE 81 EA             version, SI 1.0 public id, UTF-8, no string table

* content type ``application/vnd.wap.sic`` is the well-known value 0x2E (encoded 0xAE), with
  the parameter ``charset=utf-8`` (0x81 = Charset, 0xEA = 106 | 0x80), in the general form
  (value length 3);
* ``<si>`` is tag 0x05 with content (0x45); ``<indication>`` tag 0x06 with attributes and
  content (0xC6); the href is written with the attribute-start token for its prefix
  (0x0C ``http://``, 0x0D ``http://www.``, 0x0E ``https://``, 0x0F ``https://www.``, else 0x0B
  and the whole URL) followed by the rest as an inline string (0x03 ... 0x00); 0x01 ends the
  attribute list, the text is the indication's content as an inline string, then 0x01 0x01
  close ``<indication>`` and ``<si>``.

A body longer than one part is cut into octet chunks for concatenation: the port element (6
octets) and the UDH length octet take room in every part, a concatenation element (up to 6
octets) too when there are several parts.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_MULTI_PART_OCTETS",
    "MAX_SINGLE_PART_OCTETS",
    "PORT_VCARD",
    "PORT_WAP_PUSH",
    "PORT_WAP_SOURCE",
    "octet_parts",
    "port_element",
    "push_pdu",
    "service_indication",
    "split_octets",
    "wap_push",
]

PORT_WAP_PUSH: Final = 2948  # WDP well-known port: WAP Push connectionless (WAP-259 Appendix B)
PORT_WAP_SOURCE: Final = 9200  # WAP connectionless session service
PORT_VCARD: Final = 9204  # vCard (WAP-259 Appendix B)

_USER_DATA: Final = 140  # octets of user data in one SMS (3GPP TS 23.040 §9.2.3.16)
_PORT_IE: Final = 6  # IEI 0x05, length 4, two 16-bit ports
_CONCAT_IE: Final = 6  # the larger (16-bit reference) concatenation element
#: octets of body in a message of one part: 140 - UDHL - port element
MAX_SINGLE_PART_OCTETS: Final = _USER_DATA - 1 - _PORT_IE
#: octets of body in each part of a concatenated message: also room for a concatenation IE
MAX_MULTI_PART_OCTETS: Final = MAX_SINGLE_PART_OCTETS - _CONCAT_IE

_WSP_PUSH: Final = 0x06
_CONTENT_TYPE_SIC: Final = bytes((0x03, 0xAE, 0x81, 0xEA))  # vnd.wap.sic; charset=utf-8
_WBXML_HEADER: Final = bytes((0x02, 0x05, 0x6A, 0x00))  # WBXML 1.2, SI 1.0, UTF-8, no strtbl
_TAG_SI: Final = 0x45
_TAG_INDICATION: Final = 0xC6
_STR_I: Final = 0x03
_END: Final = 0x01
#: attribute-start tokens of ``href`` by URL prefix, longest prefix first (WAP-167 §8.3.2)
_HREF_TOKENS: Final = (
    ("https://www.", 0x0F),
    ("https://", 0x0E),
    ("http://www.", 0x0D),
    ("http://", 0x0C),
)
_HREF: Final = 0x0B


def port_element(destination: int, source: int) -> bytes:
    """The 16-bit application port addressing element (IEI 0x05), without the UDH length."""
    for port in (destination, source):
        if not 0 <= port <= 0xFFFF:
            raise ValueError(f"port out of range: {port}")
    return bytes((0x05, 0x04)) + destination.to_bytes(2, "big") + source.to_bytes(2, "big")


def _inline(value: str) -> bytes:
    """A WBXML inline string: STR_I, UTF-8 (NUL removed: it terminates the string), 0x00."""
    return bytes((_STR_I,)) + value.replace("\x00", "").encode("utf-8") + b"\x00"


def _href(url: str) -> bytes:
    url = url.strip()
    if "://" not in url:
        url = "http://" + url  # a bare host, as clients write it ("example.com/offer")
    lowered = url.lower()
    for prefix, token in _HREF_TOKENS:
        if lowered.startswith(prefix):
            return bytes((token,)) + _inline(url[len(prefix) :])
    return bytes((_HREF,)) + _inline(url)


def service_indication(url: str, text: str) -> bytes:
    """The WBXML SI document: ``<si><indication href=url>text</indication></si>``."""
    return (
        _WBXML_HEADER
        + bytes((_TAG_SI, _TAG_INDICATION))
        + _href(url)
        + bytes((_END,))
        + _inline(text)
        + bytes((_END, _END))
    )


def push_pdu(body: bytes, transaction_id: int = 1) -> bytes:
    """A connectionless WSP Push PDU carrying an SI document (content type + charset only)."""
    if not 0 <= transaction_id <= 0xFF:
        raise ValueError(f"transaction id out of range: {transaction_id}")
    headers = _CONTENT_TYPE_SIC
    return bytes((transaction_id, _WSP_PUSH, len(headers))) + headers + body


def wap_push(url: str, text: str, transaction_id: int = 1) -> bytes:
    """The whole WAP-Push body: WSP push header + WBXML Service Indication."""
    return push_pdu(service_indication(url, text), transaction_id)


def split_octets(data: bytes, max_parts: int = 255) -> tuple[bytes, ...]:
    """Cut 8-bit data into SMS part bodies (room left for the port and concatenation IEs)."""
    if len(data) <= MAX_SINGLE_PART_OCTETS:
        return (data,)
    size = MAX_MULTI_PART_OCTETS
    parts = tuple(data[i : i + size] for i in range(0, len(data), size))
    if len(parts) > max_parts:
        raise ValueError(f"{len(data)} octets need {len(parts)} parts (at most {max_parts})")
    return parts


def octet_parts(data: bytes) -> int:
    """How many SMS parts :func:`split_octets` makes of ``data`` (for billing a push/vCard)."""
    if len(data) <= MAX_SINGLE_PART_OCTETS:
        return 1
    return -(-len(data) // MAX_MULTI_PART_OCTETS)
