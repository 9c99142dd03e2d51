"""Sender names (originators): the spec §1.10 rule and the moderation states (X5/X6)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .errors import RecipientError

__all__ = ["Sender", "SenderState", "check_sender_format", "is_valid_sender"]


class SenderState(enum.StrEnum):
    ORDER = "order"  # waiting for moderation
    COMPLETED = "completed"  # approved, usable
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Sender:
    name: str
    state: SenderState
    comment: str = ""  # client's comment
    history: str = ""  # operator's (moderator's) comment


# §1.10: up to 11 of Latin letters, digits, space and "'?><,.-_=+/"!@#$%^&*() ; or up to 15 digits.
_ALNUM = re.compile(r"""[A-Za-z0-9 "'?><,.\-_=+/!@#$%^&*()]{1,11}""")
_NUMERIC = re.compile(r"[0-9]{1,15}")


def is_valid_sender(name: str) -> bool:
    return bool(_NUMERIC.fullmatch(name) or _ALNUM.fullmatch(name))


def check_sender_format(name: str | None) -> RecipientError | None:
    """The per-recipient error for a malformed sender, or ``None`` if the form is fine."""
    if name is None or name.strip() == "":
        return RecipientError.NO_SENDER
    if not is_valid_sender(name):
        return RecipientError.SENDER_TOO_LONG
    return None
