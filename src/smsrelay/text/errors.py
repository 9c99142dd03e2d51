"""Errors raised by ``smsrelay.text``.

The tree (every one is also a ``ValueError``: the input was wrong, not the code)::

    ValueError
    └── TextError                 base: any text we cannot encode, split or decode
        ├── UnencodableText       the requested encoding cannot represent a character
        ├── TooManyParts          the text needs more parts than the caller allows
        └── UndecodablePayload    bytes that are not valid in the given encoding

Messages never quote the text itself (message bodies stay out of logs): they name the
encoding, the position and the code point only.
"""

from __future__ import annotations

__all__ = ["TextError", "TooManyParts", "UndecodablePayload", "UnencodableText"]


class TextError(ValueError):
    """Base of every error raised by ``smsrelay.text``."""


class UnencodableText(TextError):
    """``text[position]`` (``char``) has no representation in ``encoding``."""

    def __init__(self, encoding: str, position: int, char: str) -> None:
        self.encoding = encoding
        self.position = position
        self.char = char
        super().__init__(
            f"character U+{ord(char):04X} at position {position} cannot be encoded as {encoding}"
        )


class TooManyParts(TextError):
    """The text needs ``needed`` parts but only ``allowed`` are permitted."""

    def __init__(self, needed: int, allowed: int) -> None:
        self.needed = needed
        self.allowed = allowed
        super().__init__(f"text needs {needed} parts, at most {allowed} allowed")


class UndecodablePayload(TextError):
    """A payload that is not valid in ``encoding`` (e.g. odd-length UTF-16, septet > 0x7F)."""

    def __init__(self, encoding: str, reason: str) -> None:
        self.encoding = encoding
        self.reason = reason
        super().__init__(f"invalid {encoding} payload: {reason}")
