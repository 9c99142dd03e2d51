"""Use case: one text to a whole subscriber base (docs/campaigns.md).

One message per subscriber of the base (X11/X12 rows), its text with the subscriber's fields
substituted for the placeholders ``{name}``, ``{surname}``, ``{patronymic}``, ``{date_birth}``,
``{region}``, ``{operator}``, ``{phone}``, ``{addition_1}`` … ``{addition_5}`` (an unknown
``{…}`` is left as written). Each message goes through the ordinary send path, so the stop
list, sender moderation, tariffs, the part count and the charge per part apply to it exactly as
to any other; ``name_delivery`` names the campaign.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from ..domain.accounts import Account
from .commands import SendItem, SendRecipient, SendResult
from .facade import Platform

__all__ = ["PLACEHOLDERS", "BaseReader", "CampaignError", "CampaignService", "render_text"]

PLACEHOLDERS: Final = (
    "name",
    "surname",
    "patronymic",
    "date_birth",
    "region",
    "operator",
    "phone",
    *(f"addition_{n}" for n in range(1, 6)),
)
_FIELD = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class CampaignError(Exception):
    """The base is not one of the account's (``Базы с таким номером не существует``)."""


class BaseReader(Protocol):
    async def subscribers(self, account_id: int, base_id: int) -> list[Mapping[str, str]] | None:
        """The base's subscribers (their X12 fields, ``phone`` included), None if the base
        is not the account's."""
        ...


def render_text(template: str, fields: Mapping[str, str]) -> str:
    """``template`` with each known placeholder replaced by the subscriber's field."""
    return _FIELD.sub(lambda m: fields.get(m.group(1), ""), template)


@dataclass(frozen=True, slots=True)
class BaseSendResult:
    phone: str
    result: SendResult


class CampaignService:
    def __init__(self, bases: BaseReader, platform: Platform) -> None:
        self._bases = bases
        self._platform = platform

    async def send_to_base(
        self,
        account: Account,
        base_id: int,
        sender: str,
        text: str,
        *,
        name_delivery: str | None = None,
        translite: bool = False,
        time_send: datetime | None = None,
    ) -> list[BaseSendResult]:
        subscribers = await self._bases.subscribers(account.id, base_id)
        if subscribers is None:
            raise CampaignError("no such base")
        extra: dict[str, str] = {}
        if name_delivery:
            extra["name_delivery"] = name_delivery
        if translite:
            extra["translite"] = "1"
        items: list[SendItem] = []
        phones: list[str] = []
        by_text: dict[str, list[str]] = {}  # equal texts share one item (one part count)
        for s in subscribers:
            by_text.setdefault(render_text(text, s), []).append(s["phone"])
        for body, numbers in by_text.items():
            items.append(
                SendItem(
                    recipients=[SendRecipient(phone=p, time_send=time_send) for p in numbers],
                    sender=sender,
                    text=body,
                    extra=dict(extra),
                )
            )
            phones.extend(numbers)
        if not items:
            return []
        results: Sequence[SendResult] = await self._platform.send(account, items)
        return [BaseSendResult(p, r) for p, r in zip(phones, results, strict=True)]
