"""The bytes a message is sent as, per kind: the one place its parts are cut.

Acceptance counts (and charges) the parts of this payload and the engine submits exactly these
parts, so the parts charged are the submit_sm the carrier sees for every kind (issue 9): a
vCard or a WAP-Push is counted on its encoded 8-bit body (``text.vcard``, ``text.wap``), never
on its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import text as textcodec
from ..domain.messages import MessageKind
from ..text import vcard, wap

__all__ = ["Payload", "encoded_parts", "payload"]


@dataclass(frozen=True, slots=True)
class Payload:
    segmented: textcodec.Segmented
    port_udh: bytes | None  # the application-port element of a data kind
    kind: MessageKind  # the kind on the wire (SMS for plain text)


def payload(kind: MessageKind, body: str, extra: Mapping[str, str], ref: int = 0) -> Payload:
    """The parts of a message of ``kind`` (``ref``: the WAP-Push transaction id's source)."""
    if kind is MessageKind.WAPPUSH:
        data = wap.wap_push(extra.get("url", ""), body, ref & 0xFF)
        port = wap.port_element(wap.PORT_WAP_PUSH, wap.PORT_WAP_SOURCE)
    elif kind is MessageKind.VCARD:
        data = vcard.vcard(extra).encode("ascii")
        port = wap.port_element(wap.PORT_VCARD, wap.PORT_VCARD)
    else:
        try:
            seg = textcodec.split(body)
        except textcodec.TextError:
            seg = textcodec.split(body, textcodec.Encoding.UCS2)
        wire = kind if kind in (MessageKind.FLASH, MessageKind.SILENCE) else MessageKind.SMS
        return Payload(seg, None, wire)
    # 8-bit data behind an application-port element
    parts = wap.split_octets(data)
    return Payload(textcodec.Segmented(textcodec.Encoding.LATIN1, parts), port, kind)


def encoded_parts(kind: MessageKind, body: str, extra: Mapping[str, str]) -> int:
    """How many submit_sm a message of ``kind`` is sent as (what it is charged for)."""
    if kind in (MessageKind.WAPPUSH, MessageKind.VCARD):
        if kind is MessageKind.WAPPUSH:
            data = wap.wap_push(extra.get("url", ""), body)
        else:
            data = vcard.vcard(extra).encode("ascii")
        return wap.octet_parts(data)
    return textcodec.count_parts(body)
