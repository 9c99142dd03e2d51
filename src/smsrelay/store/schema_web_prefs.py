"""The cabinet's per-account preferences and the campaign index of the history.

* ``web_prefs``: an account's cabinet interface language (the API's ``lang`` is another
  setting, kept on the account: it chooses the language of API errors).
* ``messages(account_id, campaign, id)``: the history filtered by campaign name
  (``name_delivery``), newest first, by keyset. ``messages.campaign`` is filled at acceptance.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from .schema import Id, UtcDateTime, messages, metadata

__all__ = ["web_prefs"]

web_prefs = Table(
    "web_prefs",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("lang", String(2), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

Index(
    "ix_messages_account_id_campaign_id", messages.c.account_id, messages.c.campaign, messages.c.id
)
