"""Accounts as the domain sees them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .money import Money

__all__ = ["Account", "Lang"]


class Lang(enum.StrEnum):
    RU = "ru"
    EN = "en"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    login: str
    lang: Lang
    locked: bool
    any_sender: bool
    balance: Money
    currency: str = "RUR"
    parent_id: int | None = None
    tz_offset_hours: int = 0  # difference from Moscow time (spec X18)
