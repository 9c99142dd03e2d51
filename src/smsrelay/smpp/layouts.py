"""Precomputed layouts for the PDUs on every message's path (issue 10: the SMPP hot path).

The generic codec walks :data:`~smsrelay.smpp.pdu_tables.BODIES` field by field. The PDUs that
every message costs — submit_sm and deliver_sm (one body, §4.4.1/§4.6.1), their responses
(message_id only) and the header-only PDUs — get straight-line encoders and decoders here,
written against the same tables (checked when this module is imported, so a table change that
the layouts do not follow fails at once rather than on the wire).

Contract, checked by hypothesis properties in ``tests/smpp/test_layouts.py``:

* an encoder gives the very bytes the generic encoder gives, for every valid :class:`Pdu`
  (values were checked when the PDU was built: nothing is validated twice);
* a decoder gives the very ``params`` and TLV offset the generic decoder gives, or ``None``
  when the body is anything but regular (truncated, a missing NUL, a field over its maximum):
  the generic decoder then decides, and raises the error with the status the spec prescribes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .constants import CommandId
from .pdu_tables import BODIES, FieldKind, ParamValue

__all__ = ["FAST_DECODERS", "FAST_ENCODERS", "BodyDecoder", "BodyEncoder"]

C = CommandId
BodyEncoder = Callable[[Mapping[str, ParamValue]], bytes]
BodyDecoder = Callable[[bytes], "tuple[dict[str, ParamValue], int] | None"]

_CS, _I1, _SM = FieldKind.CSTRING, FieldKind.INT1, FieldKind.SM
#: the submit_sm/deliver_sm body the straight-line code below is written for (name, kind, max)
_SM_LAYOUT = (
    ("service_type", _CS, 6),
    ("source_addr_ton", _I1, 1),
    ("source_addr_npi", _I1, 1),
    ("source_addr", _CS, 21),
    ("dest_addr_ton", _I1, 1),
    ("dest_addr_npi", _I1, 1),
    ("destination_addr", _CS, 21),
    ("esm_class", _I1, 1),
    ("protocol_id", _I1, 1),
    ("priority_flag", _I1, 1),
    ("schedule_delivery_time", _CS, 17),
    ("validity_period", _CS, 17),
    ("registered_delivery", _I1, 1),
    ("replace_if_present_flag", _I1, 1),
    ("data_coding", _I1, 1),
    ("sm_default_msg_id", _I1, 1),
    ("short_message", _SM, 254),
)
_MESSAGE_ID_LAYOUT = (("message_id", _CS, 65),)


def _layout_of(command: CommandId) -> tuple[tuple[str, FieldKind, int], ...]:
    return tuple((f.name, f.kind, f.max) for f in BODIES[command])


for _command in (C.SUBMIT_SM, C.DELIVER_SM):
    if _layout_of(_command) != _SM_LAYOUT:  # pragma: no cover - a table edit the code missed
        raise RuntimeError(f"smpp.layouts is out of date for {_command.name}")
for _command in (C.SUBMIT_SM_RESP, C.DELIVER_SM_RESP):
    if _layout_of(_command) != _MESSAGE_ID_LAYOUT:  # pragma: no cover
        raise RuntimeError(f"smpp.layouts is out of date for {_command.name}")

_NUL = b"\x00"


def encode_sm_body(p: Mapping[str, ParamValue]) -> bytes:
    """submit_sm / deliver_sm mandatory body (values already checked by :class:`Pdu`)."""
    sm: bytes = p["short_message"]  # type: ignore[assignment]
    return b"".join(
        (
            p["service_type"].encode("latin-1"),  # type: ignore[union-attr]
            _NUL,
            bytes((p["source_addr_ton"], p["source_addr_npi"])),  # type: ignore[arg-type]
            p["source_addr"].encode("latin-1"),  # type: ignore[union-attr]
            _NUL,
            bytes((p["dest_addr_ton"], p["dest_addr_npi"])),  # type: ignore[arg-type]
            p["destination_addr"].encode("latin-1"),  # type: ignore[union-attr]
            _NUL,
            bytes((p["esm_class"], p["protocol_id"], p["priority_flag"])),  # type: ignore[arg-type]
            p["schedule_delivery_time"].encode("latin-1"),  # type: ignore[union-attr]
            _NUL,
            p["validity_period"].encode("latin-1"),  # type: ignore[union-attr]
            _NUL,
            bytes(
                (
                    p["registered_delivery"],  # type: ignore[arg-type]
                    p["replace_if_present_flag"],
                    p["data_coding"],
                    p["sm_default_msg_id"],
                    len(sm),
                )
            ),
            sm,
        )
    )


def encode_message_id_body(p: Mapping[str, ParamValue]) -> bytes:
    return p["message_id"].encode("latin-1") + _NUL  # type: ignore[union-attr]


def encode_empty_body(p: Mapping[str, ParamValue]) -> bytes:
    return b""


def decode_sm_body(body: bytes) -> tuple[dict[str, ParamValue], int] | None:
    """submit_sm / deliver_sm: (params, offset of the TLVs), or ``None`` if irregular."""
    end = len(body)
    find = body.find
    a = find(0, 0, 6)  # service_type, at most 6 octets with its NUL
    if a < 0:
        return None
    b = find(0, a + 3, min(end, a + 24))  # source_addr after two octets, at most 21
    if b < 0:
        return None
    c = find(0, b + 3, min(end, b + 24))  # destination_addr, at most 21
    if c < 0:
        return None
    d = find(0, c + 4, min(end, c + 21))  # schedule_delivery_time after three octets, 17
    if d < 0:
        return None
    e = find(0, d + 1, min(end, d + 18))  # validity_period, 17
    if e < 0:
        return None
    o = e + 1
    start = o + 5
    if start > end:
        return None
    size = body[o + 4]
    stop = start + size
    if size > 254 or stop > end:
        return None
    return {
        "service_type": body[:a].decode("latin-1"),
        "source_addr_ton": body[a + 1],
        "source_addr_npi": body[a + 2],
        "source_addr": body[a + 3 : b].decode("latin-1"),
        "dest_addr_ton": body[b + 1],
        "dest_addr_npi": body[b + 2],
        "destination_addr": body[b + 3 : c].decode("latin-1"),
        "esm_class": body[c + 1],
        "protocol_id": body[c + 2],
        "priority_flag": body[c + 3],
        "schedule_delivery_time": body[c + 4 : d].decode("latin-1"),
        "validity_period": body[d + 1 : e].decode("latin-1"),
        "registered_delivery": body[o],
        "replace_if_present_flag": body[o + 1],
        "data_coding": body[o + 2],
        "sm_default_msg_id": body[o + 3],
        "short_message": body[start:stop],
    }, stop


def decode_message_id_body(body: bytes) -> tuple[dict[str, ParamValue], int] | None:
    """submit_sm_resp / deliver_sm_resp with a body (an empty one goes the generic way)."""
    nul = body.find(0, 0, 65)
    if nul < 0:
        return None
    return {"message_id": body[:nul].decode("latin-1")}, nul + 1


def decode_empty_body(body: bytes) -> tuple[dict[str, ParamValue], int] | None:
    return {}, 0


_HEADER_ONLY = tuple(c for c in CommandId if not BODIES[c])

FAST_ENCODERS: dict[int, BodyEncoder] = {
    C.SUBMIT_SM: encode_sm_body,
    C.DELIVER_SM: encode_sm_body,
    C.SUBMIT_SM_RESP: encode_message_id_body,
    C.DELIVER_SM_RESP: encode_message_id_body,
    **{c: encode_empty_body for c in _HEADER_ONLY},
}
FAST_DECODERS: dict[int, BodyDecoder] = {
    C.SUBMIT_SM: decode_sm_body,
    C.DELIVER_SM: decode_sm_body,
    C.SUBMIT_SM_RESP: decode_message_id_body,
    C.DELIVER_SM_RESP: decode_message_id_body,
    **{c: decode_empty_body for c in _HEADER_ONLY},
}
