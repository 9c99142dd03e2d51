"""SMPP 3.4, sans-I/O: a table-driven PDU codec and a session state machine (pure stdlib).

    from smsrelay.smpp import Pdu, Session, Role, NEED_DATA, encode, decode

Modules: ``constants`` (command ids, statuses, tags), ``pdu_tables`` (the spec's field tables),
``pdu`` (the :class:`Pdu` value), ``tlv``, ``codec`` (encode/decode), ``layouts`` (the codec's
straight-line paths for the hot-path PDUs), ``session`` (states, window, timers), ``receipts``
(receipt text, id spellings), ``udh`` (concatenation headers), ``timefmt`` (SMPP time strings),
``errors`` (the :class:`SmppError` tree).
"""

from .codec import DEFAULT_MAX_PDU, decode, encode, error_reply, parse_header
from .constants import (
    ESM_RECEIPT,
    ESM_UDHI,
    CommandId,
    CommandStatus,
    MessageState,
    Tag,
    status_name,
)
from .errors import (
    FieldError,
    FramingError,
    IllegalCommandError,
    PduError,
    SessionClosedError,
    SessionError,
    SmppError,
    UdhError,
    UnexpectedResponseError,
    UnknownCommandError,
    WindowFullError,
)
from .pdu import Pdu
from .receipts import (
    ReceiptText,
    format_receipt_text,
    id_spellings,
    parse_receipt_text,
    receipt_ids,
)
from .session import CONNECTION_CLOSED, NEED_DATA, Role, Session, State, Timeouts
from .tlv import Tlv, tlv_int, tlv_str

__all__ = [
    "CONNECTION_CLOSED",
    "DEFAULT_MAX_PDU",
    "ESM_RECEIPT",
    "ESM_UDHI",
    "NEED_DATA",
    "CommandId",
    "CommandStatus",
    "FieldError",
    "FramingError",
    "IllegalCommandError",
    "MessageState",
    "Pdu",
    "PduError",
    "ReceiptText",
    "Role",
    "Session",
    "SessionClosedError",
    "SessionError",
    "SmppError",
    "State",
    "Tag",
    "Timeouts",
    "Tlv",
    "UdhError",
    "UnexpectedResponseError",
    "UnknownCommandError",
    "WindowFullError",
    "decode",
    "encode",
    "error_reply",
    "format_receipt_text",
    "id_spellings",
    "parse_header",
    "parse_receipt_text",
    "receipt_ids",
    "status_name",
    "tlv_int",
    "tlv_str",
]
