"""Generic PDU encoder and decoder, driven by :data:`smsrelay.smpp.pdu_tables.BODIES`.

Bounded at the edge (§3.2): ``16 <= command_length <= max_pdu`` is checked from the header
alone, before any body is awaited; each field is checked against its maximum size; every
failure is one of our :class:`~smsrelay.smpp.errors.PduError` types carrying the
command_status to answer with, never ``IndexError`` or ``struct.error``.

The PDUs on every message's path take the precomputed layouts of
:mod:`smsrelay.smpp.layouts` (same bytes, same values; anything irregular falls back to the
generic table walk here, which owns the errors); :func:`encode_generic` and
:func:`decode_body_generic` are the table walk alone.
"""

from __future__ import annotations

import struct

from .constants import CommandId, CommandStatus
from .errors import FieldError, FramingError, SmppError, UnknownCommandError
from .layouts import FAST_DECODERS, FAST_ENCODERS
from .pdu import Pdu
from .pdu_tables import BODIES, RESPONSE_OF, FieldKind, ParamValue
from .tlv import decode_tlvs, encode_tlvs

__all__ = [
    "DEFAULT_MAX_PDU",
    "HEADER_SIZE",
    "Header",
    "decode",
    "decode_body",
    "decode_body_generic",
    "encode",
    "encode_generic",
    "error_reply",
    "parse_header",
]

HEADER = struct.Struct(">IIII")
HEADER_SIZE = 16
DEFAULT_MAX_PDU = 64 * 1024

Header = tuple[int, int, int, int]  # command_length, command_id, command_status, sequence
_COMMANDS: dict[int, CommandId] = {int(c): c for c in CommandId}  # cheaper than CommandId(n)


def parse_header(data: bytes | bytearray | memoryview, max_pdu: int = DEFAULT_MAX_PDU) -> Header:
    """Read and bound-check the 16-octet header at the start of ``data``."""
    if len(data) < HEADER_SIZE:
        raise FramingError("fewer than 16 octets for a header", CommandStatus.ESME_RINVCMDLEN)
    length, command_id, status, sequence = HEADER.unpack_from(data, 0)
    if not HEADER_SIZE <= length <= max_pdu:
        raise FramingError(
            f"command_length {length} outside {HEADER_SIZE}..{max_pdu}",
            CommandStatus.ESME_RINVCMDLEN,
            command_id=command_id,
            sequence=sequence,
        )
    return length, command_id, status, sequence


def encode(pdu: Pdu) -> bytes:
    fast = FAST_ENCODERS.get(pdu.command)
    if fast is None:
        return encode_generic(pdu)
    body = fast(pdu.params)
    if pdu.tlvs:
        body += encode_tlvs(pdu.tlvs)
    return HEADER.pack(HEADER_SIZE + len(body), pdu.command, pdu.status, pdu.sequence) + body


def encode_generic(pdu: Pdu) -> bytes:
    """:func:`encode` by walking the command's table (every command)."""
    body = bytearray()
    params = pdu.params
    for f in BODIES[pdu.command]:
        value = params[f.name]
        kind = f.kind
        if kind is FieldKind.CSTRING:
            assert isinstance(value, str)
            body += value.encode("latin-1")
            body.append(0)
        elif kind is FieldKind.INT1:
            assert isinstance(value, int)
            body.append(value)
        elif kind is FieldKind.SM:
            assert isinstance(value, bytes)
            body.append(len(value))
            body += value
        else:
            assert isinstance(value, int)
            body += value.to_bytes(2 if kind is FieldKind.INT2 else 4, "big")
    if pdu.tlvs:
        body += encode_tlvs(pdu.tlvs)
    return HEADER.pack(HEADER_SIZE + len(body), pdu.command, pdu.status, pdu.sequence) + body


def decode(data: bytes, max_pdu: int = DEFAULT_MAX_PDU) -> Pdu:
    """Decode exactly one complete PDU (``len(data)`` must equal its command_length)."""
    length, command_id, status, sequence = parse_header(data, max_pdu)
    if length != len(data):
        raise FramingError(
            f"command_length {length} but {len(data)} octets given",
            CommandStatus.ESME_RINVCMDLEN,
            command_id=command_id,
            sequence=sequence,
        )
    return decode_body(command_id, status, sequence, data[HEADER_SIZE:])


def decode_body(command_id: int, status: int, sequence: int, body: bytes) -> Pdu:
    """Decode a body whose header was already read; errors carry the header's id and sequence."""
    command = _COMMANDS.get(command_id)
    fast = FAST_DECODERS.get(command_id) if command is not None else None
    if fast is not None and command is not None:
        got = fast(body)
        if got is not None:
            params, offset = got
            if offset >= len(body):
                return Pdu.from_wire(command, sequence, status, params, ())
            try:
                tlvs = decode_tlvs(body, offset)
            except SmppError as exc:
                raise exc.located(command_id, sequence) from None
            return Pdu.from_wire(command, sequence, status, params, tlvs)
    return decode_body_generic(command_id, status, sequence, body)


def decode_body_generic(command_id: int, status: int, sequence: int, body: bytes) -> Pdu:
    """:func:`decode_body` by walking the command's table (every command, every error)."""
    try:
        command = CommandId(command_id)
    except ValueError:
        raise UnknownCommandError(
            f"unknown command_id 0x{command_id:08X}",
            CommandStatus.ESME_RINVCMDID,
            command_id=command_id,
            sequence=sequence,
        ) from None
    try:
        return _decode_fields(command, status, sequence, body)
    except SmppError as exc:
        raise exc.located(command_id, sequence) from None


def _decode_fields(command: CommandId, status: int, sequence: int, body: bytes) -> Pdu:
    params: dict[str, ParamValue] = {}
    end = len(body)
    offset = 0
    table = BODIES[command]
    for index, f in enumerate(table):
        if offset >= end:
            # §4.x.2: an error response may omit its body; some SMSCs omit it on success too.
            if command.is_response:
                for rest in table[index:]:
                    params[rest.name] = rest.default
                break
            raise FieldError(f"body ends before {f.name}", CommandStatus.ESME_RINVCMDLEN)
        kind = f.kind
        if kind is FieldKind.CSTRING:
            nul = body.find(0, offset, min(end, offset + f.max))
            if nul < 0:
                raise FieldError(f"{f.name} has no NUL within {f.max} octets", f.status)
            params[f.name] = body[offset:nul].decode("latin-1")
            offset = nul + 1
        elif kind is FieldKind.INT1:
            params[f.name] = body[offset]
            offset += 1
        elif kind is FieldKind.SM:
            size = body[offset]
            offset += 1
            if size > f.max or offset + size > end:
                raise FieldError(f"sm_length {size} does not fit the body", f.status)
            params[f.name] = body[offset : offset + size]
            offset += size
        else:
            width = 2 if kind is FieldKind.INT2 else 4
            if offset + width > end:
                raise FieldError(f"{f.name} truncated", CommandStatus.ESME_RINVCMDLEN)
            params[f.name] = int.from_bytes(body[offset : offset + width], "big")
            offset += width
    tlvs = decode_tlvs(body, offset) if offset < end else ()
    return Pdu.from_wire(command, sequence, status, params, tlvs)


def error_reply(error: SmppError) -> Pdu | None:
    """The PDU to answer a bad incoming PDU with, or ``None`` when it must not be answered.

    A request we understood gets its own response carrying the error status (e.g. a submit_sm
    with a bad destination gets submit_sm_resp ESME_RINVDSTADR); anything else that is not a
    response gets generic_nack (§4.3). Responses are never answered.
    """
    if error.sequence is None or error.command_id is None:
        return None
    if error.command_id & 0x80000000:
        return None
    try:
        command = CommandId(error.command_id)
    except ValueError:
        command = None
    sequence = error.sequence & 0xFFFFFFFF
    if command is not None and command in RESPONSE_OF and not isinstance(error, FramingError):
        return Pdu.make(RESPONSE_OF[command], sequence, error.status)
    return Pdu.generic_nack(sequence, error.status)
