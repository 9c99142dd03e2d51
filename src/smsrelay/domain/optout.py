"""Opt-out by reply (issue 9): which incoming texts stop or restart messages to a subscriber.

A subscriber answers ``STOP``: the whole text (trimmed, any case, a trailing ``.`` or ``!``
ignored) is compared with the account's opt-out words; ``START`` with its opt-in words. The
words are configurable per account and per incoming number (``OptOutSettings``); without
settings the defaults below apply. Pure: the inbound service applies the decision.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_START_WORDS",
    "DEFAULT_STOP_WORDS",
    "EXTRA_OPTOUT_NOTICE",
    "MAX_WORDS",
    "MAX_WORD_CHARS",
    "OptAction",
    "OptOutSettings",
    "classify",
    "parse_words",
    "word_key",
]

DEFAULT_STOP_WORDS: Final = ("STOP", "СТОП", "ОТПИСКА", "UNSUBSCRIBE")
DEFAULT_START_WORDS: Final = ("START", "СТАРТ")
MAX_WORDS: Final = 20
MAX_WORD_CHARS: Final = 32
MAX_CONFIRM_CHARS: Final = 1000
#: ``NewMessage.extra`` key of a confirmation sent to a number that just opted out: the STOP
#: list does not stop it (no dialect can set this key: their extra keys are fixed lists).
EXTRA_OPTOUT_NOTICE: Final = "optout_notice"


class OptAction(enum.Enum):
    STOP = "stop"
    START = "start"


def word_key(word: str) -> str:
    """How a word and an incoming text are compared: trimmed, casefolded, a trailing
    ``.``/``!`` ignored."""
    return word.strip().rstrip(".!").strip().casefold()


def parse_words(raw: str) -> tuple[str, ...]:
    """``"stop, Стоп"`` -> ``("STOP", "СТОП")``; ValueError when empty or too long."""
    words = tuple(dict.fromkeys(w.strip().upper() for w in raw.split(",") if w.strip()))
    if not words:
        raise ValueError("give at least one word")
    if len(words) > MAX_WORDS or any(len(w) > MAX_WORD_CHARS for w in words):
        raise ValueError(f"at most {MAX_WORDS} words of at most {MAX_WORD_CHARS} characters")
    return words


@dataclass(frozen=True, slots=True)
class OptOutSettings:
    """An account's (or one of its numbers') opt-out configuration."""

    stop_words: tuple[str, ...] = DEFAULT_STOP_WORDS
    start_words: tuple[str, ...] = DEFAULT_START_WORDS
    confirm_text: str = ""  # "" = no confirmation SMS on STOP
    confirm_start_text: str = ""  # "" = none on START
    sender: str = ""  # sender of the confirmation; "" = the number the MO was sent to

    def __post_init__(self) -> None:
        if set(map(word_key, self.stop_words)) & set(map(word_key, self.start_words)):
            raise ValueError("a word cannot both stop and start")
        if max(len(self.confirm_text), len(self.confirm_start_text)) > MAX_CONFIRM_CHARS:
            raise ValueError(f"a confirmation is at most {MAX_CONFIRM_CHARS} characters")


def classify(text: str, settings: OptOutSettings) -> OptAction | None:
    """STOP, START or nothing for an incoming text."""
    key = word_key(text)
    if not key or len(key) > MAX_WORD_CHARS:
        return None
    if key in {word_key(w) for w in settings.stop_words}:
        return OptAction.STOP
    if key in {word_key(w) for w in settings.start_words}:
        return OptAction.START
    return None
