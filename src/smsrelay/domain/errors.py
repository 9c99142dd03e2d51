"""Domain error vocabulary.

The domain names *what* went wrong; the API layer (``api/literals.py``) turns each code into
the spec's literal string (§1.8, §1.9) in the account's language and the dialect's variant.

Tree::

    DomainError
    ├── DocumentError(code: DocumentErrorCode)   the whole request is refused
    └── ValidationError                          a value from a client is malformed
    RecipientError(enum)                         one recipient refused; the rest go on
"""

from __future__ import annotations

import enum

__all__ = ["DocumentError", "DocumentErrorCode", "DomainError", "RecipientError", "ValidationError"]


class DomainError(Exception):
    """Root of the domain's own errors."""


class DocumentErrorCode(enum.Enum):
    BAD_FORMAT = "bad_format"  # Incorrect XML/JSON document format
    BAD_CREDENTIALS = "bad_credentials"  # Incorrect login or password
    ACCOUNT_LOCKED = "account_locked"  # Your account is locked
    NO_POST_DATA = "no_post_data"  # POST data is missing


class DocumentError(DomainError):
    def __init__(self, code: DocumentErrorCode, detail: str = "") -> None:
        super().__init__(detail or code.value)
        self.code = code


class ValidationError(DomainError):
    """A client value failed validation (bad date, bad amount...)."""


class RecipientError(enum.Enum):
    """Per-recipient refusals, numbered as the spec §1.9 table."""

    PLATFORM_OUT_OF_SMS = 1
    OUT_OF_MONEY = 2
    ACCOUNT_LOCKED = 3
    NO_PHONE = 4
    STOP_LIST = 5
    DESTINATION_CLOSED_FOR_YOU = 6
    DESTINATION_CLOSED = 7
    TEXT_REJECTED = 8
    NO_SENDER = 9
    SENDER_TOO_LONG = 10
    PHONE_TOO_LONG = 11
    NO_TEXT = 12
    NO_LINK = 13
    VCARD_INCOMPLETE = 14
    NO_SUCH_SENDER = 15
    SENDER_NOT_MODERATED = 16
    ALREADY_SENT = 17
    TOO_MANY_PARTS = 100  # ours: the text needs more parts than the platform allows
