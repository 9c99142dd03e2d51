"""The spec's PDU tables as data (SMPP 3.4 chapter 4).

One tuple of :class:`Field` per command, in wire order: the field's codec, its maximum size
(C-octet strings count their NUL, as the spec's "Var. max" column does), the command_status to
answer when the peer sends a bad value, and the default used when building a PDU. The generic
encoder and decoder in :mod:`smsrelay.smpp.codec` are driven by these tables only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .constants import INTERFACE_VERSION, CommandId, CommandStatus

__all__ = ["BODIES", "REQUEST_OF", "RESPONSE_OF", "Field", "FieldKind", "ParamValue"]

ParamValue = int | str | bytes

C = CommandId
S = CommandStatus


class FieldKind(enum.Enum):
    CSTRING = "cstring"  # C-octet string (§3.1): octets up to and including a NUL
    INT1 = "int1"
    INT2 = "int2"
    INT4 = "int4"
    SM = "sm"  # sm_length (1 octet) followed by that many octets of short_message (§5.2.21-22)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: FieldKind
    max: int  # CSTRING: octets including the NUL; SM: octets; INT*: ignored
    status: CommandStatus  # the command_status to answer when the value is bad
    default: ParamValue


def cstr(name: str, max_octets: int, status: S = S.ESME_RSYSERR) -> Field:
    return Field(name, FieldKind.CSTRING, max_octets, status, "")


def u8(name: str, status: S = S.ESME_RSYSERR, default: int = 0) -> Field:
    return Field(name, FieldKind.INT1, 1, status, default)


def sm(name: str = "short_message") -> Field:
    return Field(name, FieldKind.SM, 254, S.ESME_RINVMSGLEN, b"")  # §5.2.22: 0..254 octets


_BIND = (
    cstr("system_id", 16, S.ESME_RINVSYSID),
    cstr("password", 9, S.ESME_RINVPASWD),
    cstr("system_type", 13, S.ESME_RINVSYSTYP),
    u8("interface_version", default=INTERFACE_VERSION),
    u8("addr_ton", S.ESME_RINVSRCTON),
    u8("addr_npi", S.ESME_RINVSRCNPI),
    cstr("address_range", 41),
)
_BIND_RESP = (cstr("system_id", 16, S.ESME_RINVSYSID),)

# submit_sm (§4.4.1) and deliver_sm (§4.6.1) share their body.
_SM = (
    cstr("service_type", 6, S.ESME_RINVSERTYP),
    u8("source_addr_ton", S.ESME_RINVSRCTON),
    u8("source_addr_npi", S.ESME_RINVSRCNPI),
    cstr("source_addr", 21, S.ESME_RINVSRCADR),
    u8("dest_addr_ton", S.ESME_RINVDSTTON),
    u8("dest_addr_npi", S.ESME_RINVDSTNPI),
    cstr("destination_addr", 21, S.ESME_RINVDSTADR),
    u8("esm_class", S.ESME_RINVESMCLASS),
    u8("protocol_id"),
    u8("priority_flag", S.ESME_RINVPRTFLG),
    cstr("schedule_delivery_time", 17, S.ESME_RINVSCHED),
    cstr("validity_period", 17, S.ESME_RINVEXPIRY),
    u8("registered_delivery", S.ESME_RINVREGDLVFLG),
    u8("replace_if_present_flag", S.ESME_RINVREPFLAG),
    u8("data_coding"),
    u8("sm_default_msg_id", S.ESME_RINVDFTMSGID),
    sm(),
)
_MESSAGE_ID = (cstr("message_id", 65, S.ESME_RINVMSGID),)

#: command -> mandatory parameters, in wire order. Commands absent here have a header only.
BODIES: dict[CommandId, tuple[Field, ...]] = {
    C.GENERIC_NACK: (),
    C.BIND_RECEIVER: _BIND,
    C.BIND_RECEIVER_RESP: _BIND_RESP,
    C.BIND_TRANSMITTER: _BIND,
    C.BIND_TRANSMITTER_RESP: _BIND_RESP,
    C.BIND_TRANSCEIVER: _BIND,
    C.BIND_TRANSCEIVER_RESP: _BIND_RESP,
    C.OUTBIND: (cstr("system_id", 16, S.ESME_RINVSYSID), cstr("password", 9, S.ESME_RINVPASWD)),
    C.UNBIND: (),
    C.UNBIND_RESP: (),
    C.ENQUIRE_LINK: (),
    C.ENQUIRE_LINK_RESP: (),
    C.SUBMIT_SM: _SM,
    C.SUBMIT_SM_RESP: _MESSAGE_ID,
    C.DELIVER_SM: _SM,
    C.DELIVER_SM_RESP: _MESSAGE_ID,  # §4.6.2: message_id unused, set to NULL
    C.DATA_SM: (  # §4.7.1
        cstr("service_type", 6, S.ESME_RINVSERTYP),
        u8("source_addr_ton", S.ESME_RINVSRCTON),
        u8("source_addr_npi", S.ESME_RINVSRCNPI),
        cstr("source_addr", 65, S.ESME_RINVSRCADR),
        u8("dest_addr_ton", S.ESME_RINVDSTTON),
        u8("dest_addr_npi", S.ESME_RINVDSTNPI),
        cstr("destination_addr", 65, S.ESME_RINVDSTADR),
        u8("esm_class", S.ESME_RINVESMCLASS),
        u8("registered_delivery", S.ESME_RINVREGDLVFLG),
        u8("data_coding"),
    ),
    C.DATA_SM_RESP: _MESSAGE_ID,
    C.QUERY_SM: (  # §4.8.1
        cstr("message_id", 65, S.ESME_RINVMSGID),
        u8("source_addr_ton", S.ESME_RINVSRCTON),
        u8("source_addr_npi", S.ESME_RINVSRCNPI),
        cstr("source_addr", 21, S.ESME_RINVSRCADR),
    ),
    C.QUERY_SM_RESP: (
        cstr("message_id", 65, S.ESME_RINVMSGID),
        cstr("final_date", 17),
        u8("message_state"),
        u8("error_code"),
    ),
    C.CANCEL_SM: (  # §4.9.1
        cstr("service_type", 6, S.ESME_RINVSERTYP),
        cstr("message_id", 65, S.ESME_RINVMSGID),
        u8("source_addr_ton", S.ESME_RINVSRCTON),
        u8("source_addr_npi", S.ESME_RINVSRCNPI),
        cstr("source_addr", 21, S.ESME_RINVSRCADR),
        u8("dest_addr_ton", S.ESME_RINVDSTTON),
        u8("dest_addr_npi", S.ESME_RINVDSTNPI),
        cstr("destination_addr", 21, S.ESME_RINVDSTADR),
    ),
    C.CANCEL_SM_RESP: (),
    C.REPLACE_SM: (  # §4.10.1
        cstr("message_id", 65, S.ESME_RINVMSGID),
        u8("source_addr_ton", S.ESME_RINVSRCTON),
        u8("source_addr_npi", S.ESME_RINVSRCNPI),
        cstr("source_addr", 21, S.ESME_RINVSRCADR),
        cstr("schedule_delivery_time", 17, S.ESME_RINVSCHED),
        cstr("validity_period", 17, S.ESME_RINVEXPIRY),
        u8("registered_delivery", S.ESME_RINVREGDLVFLG),
        u8("sm_default_msg_id", S.ESME_RINVDFTMSGID),
        sm(),
    ),
    C.REPLACE_SM_RESP: (),
    C.ALERT_NOTIFICATION: (  # §4.12.1
        u8("source_addr_ton", S.ESME_RINVSRCTON),
        u8("source_addr_npi", S.ESME_RINVSRCNPI),
        cstr("source_addr", 65, S.ESME_RINVSRCADR),
        u8("esme_addr_ton"),
        u8("esme_addr_npi"),
        cstr("esme_addr", 65),
    ),
}

#: request -> its response (pairing as data). generic_nack answers any request.
RESPONSE_OF: dict[CommandId, CommandId] = {
    C.BIND_RECEIVER: C.BIND_RECEIVER_RESP,
    C.BIND_TRANSMITTER: C.BIND_TRANSMITTER_RESP,
    C.BIND_TRANSCEIVER: C.BIND_TRANSCEIVER_RESP,
    C.QUERY_SM: C.QUERY_SM_RESP,
    C.SUBMIT_SM: C.SUBMIT_SM_RESP,
    C.DELIVER_SM: C.DELIVER_SM_RESP,
    C.UNBIND: C.UNBIND_RESP,
    C.REPLACE_SM: C.REPLACE_SM_RESP,
    C.CANCEL_SM: C.CANCEL_SM_RESP,
    C.ENQUIRE_LINK: C.ENQUIRE_LINK_RESP,
    C.DATA_SM: C.DATA_SM_RESP,
}
REQUEST_OF: dict[CommandId, CommandId] = {v: k for k, v in RESPONSE_OF.items()}
