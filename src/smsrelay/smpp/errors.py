"""The SMPP codec's and session's own errors.

Every error carries the SMPP ``command_status`` to answer the peer with (``status``) and, when
the header could be read, the ``command_id`` and ``sequence`` of the offending PDU, so an adapter
can reply without guessing (see :func:`smsrelay.smpp.codec.error_reply`).

Tree::

    SmppError(status)
    ├── PduError                  bytes (or values) that do not make a valid PDU
    │   ├── FramingError          command_length outside 16..max_pdu: the stream is lost (fatal)
    │   ├── UnknownCommandError   command_id not in SMPP 3.4 (ESME_RINVCMDID)
    │   ├── FieldError            a mandatory field or TLV is malformed (status from the table)
    │   └── UdhError              a user data header that does not parse (ESME_RINVESMCLASS)
    └── SessionError
        ├── IllegalCommandError   the state table has no entry for (role, state, direction, cmd)
        ├── UnexpectedResponseError  a response matching no outstanding request
        ├── WindowFullError       ``send`` of a windowed request with the window full
        └── SessionClosedError    the session is closed (EOF, fatal error or ``close()``)
"""

from __future__ import annotations

from .constants import CommandStatus

__all__ = [
    "FieldError",
    "FramingError",
    "IllegalCommandError",
    "PduError",
    "SessionClosedError",
    "SessionError",
    "SmppError",
    "UdhError",
    "UnexpectedResponseError",
    "UnknownCommandError",
    "WindowFullError",
]


class SmppError(Exception):
    """Root of the SMPP package's errors; ``status`` is the command_status to answer with."""

    fatal: bool = False

    def __init__(
        self,
        message: str,
        status: int = CommandStatus.ESME_RSYSERR,
        *,
        command_id: int | None = None,
        sequence: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.command_id = command_id
        self.sequence = sequence

    def located(self, command_id: int, sequence: int) -> SmppError:
        """Attach the offending PDU's header (when the body decoder did not know it)."""
        self.command_id = command_id
        self.sequence = sequence
        return self


class PduError(SmppError):
    """The bytes (or the values given to build a PDU) do not make a valid PDU."""


class FramingError(PduError):
    """command_length is outside the allowed range: the byte stream cannot be resynchronised."""

    fatal = True


class UnknownCommandError(PduError):
    """The command_id is not an SMPP 3.4 command this codec knows."""


class FieldError(PduError):
    """A mandatory parameter or a TLV is malformed (too long, missing its NUL, truncated)."""


class UdhError(PduError):
    """A user data header (UDHI set) that does not parse."""


class SessionError(SmppError):
    """A PDU that is valid on its own but not in this session right now."""


class IllegalCommandError(SessionError):
    """The session state table has no entry for this command; ``lookup`` is the failed key."""

    def __init__(
        self,
        lookup: tuple[str, str, str, str],
        status: int,
        *,
        command_id: int,
        sequence: int,
    ) -> None:
        role, state, direction, command = lookup
        super().__init__(
            f"{role} may not {direction} {command} in state {state}",
            status,
            command_id=command_id,
            sequence=sequence,
        )
        self.lookup = lookup


class UnexpectedResponseError(SessionError):
    """A response whose sequence number matches no request we are waiting for."""


class WindowFullError(SessionError):
    """A windowed request was sent while ``outstanding`` already equals the window."""


class SessionClosedError(SessionError):
    """The session is closed; nothing more can be sent or received."""

    fatal = True
