"""Editing in the cabinet's subscriber bases: a base's name and birthday-greeting settings
(what X10 takes) and one subscriber's fields (what X12 stores), or deleting the subscriber.

Everything is written through ``BasesService``, as X10/X12 write it, with the same value rules
(``services.bases.time_of_day``, ``birth_date``, ``gender``). A form always carries every field,
so what it leaves empty is cleared (an unticked box is ``no``).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account
from ..domain.messages import check_phone, normalize_phone
from ..domain.senders import is_valid_sender
from ..services.bases import (
    MAX_DAY_BEFORE,
    MAX_GREETING_CHARS,
    SUBSCRIBER_FIELDS,
    SettingsPatch,
    SubscriberChange,
    birth_date,
    gender,
    time_of_day,
)
from .context import WebContext
from .pages import PageContext, PageMaker, Render, redirect

__all__ = ["settings_from_form", "subscriber_routes"]

#: A base's name as the create form bounds it.
MAX_NAME_CHARS: Final = 200
#: Free-text subscriber fields: the form's bound (X12 stores up to MAX_FIELD_CHARS).
MAX_TEXT_CHARS: Final = 200


def _text(form: FormData, name: str, limit: int = MAX_TEXT_CHARS) -> str:
    return str(form.get(name, "")).strip()[:limit]


def settings_from_form(form: FormData) -> tuple[SettingsPatch | None, str]:
    """The patch of the settings form, or (None, the error to show)."""
    name = _text(form, "name_base", MAX_NAME_CHARS)
    on_birth = form.get("on_birth") == "on"
    sender = _text(form, "originator_birth", 32)
    greeting = str(form.get("greeting", "")).strip()[:MAX_GREETING_CHARS]
    raw_days = _text(form, "day_before", 8) or "0"
    try:
        at = time_of_day(_text(form, "time_birth", 8))
    except ValueError:
        at = None
    error = ""
    if not name:
        error = "Enter a name"
    elif at is None:
        error = "The time must be HH:MM"
    elif not (raw_days.isascii() and raw_days.isdigit() and int(raw_days) <= MAX_DAY_BEFORE):
        error = "Days before: a whole number from 0 to 366"
    elif sender and not is_valid_sender(sender):
        error = "The sender name is not valid"
    elif on_birth and not (at and sender and greeting):
        error = "To send greetings, give the time, the sender and the text"
    if error or at is None:
        return None, error
    patch = SettingsPatch(
        name_base=name,
        time_birth=at,
        local_time_birth=form.get("local_time_birth") == "on",
        day_before=int(raw_days),
        originator_birth=sender,
        on_birth=on_birth,
        greeting=greeting,
    )
    return patch, ""


def _fields_from_form(form: FormData) -> tuple[dict[str, str] | None, str]:
    """Every subscriber field of the form, or (None, the error to show)."""
    given = {name: _text(form, name) for name in SUBSCRIBER_FIELDS}
    error = ""
    try:
        given["date_birth"] = birth_date(given["date_birth"])
    except ValueError:
        error = "The date of birth must be YYYY-MM-DD"
    try:
        given["male"] = gender(given["male"])
    except ValueError:
        error = "Choose the gender from the list"
    return (None, error) if error else (given, "")


def subscriber_url(base_id: int, phone: str) -> str:
    return f"/lk/bases/{base_id}/phones/{quote(phone, safe='')}"


def subscriber_routes(web: WebContext, page: PageMaker, render: Render) -> list[BaseRoute]:
    svc = web.services

    async def _base(account: Account, raw: str) -> Any:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            return None
        return next((b for b in await svc.bases.list_bases(account) if b.id == int(raw)), None)

    @page
    async def subscriber(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        found = await _base(account, str(ctx.request.path_params["id"]))
        phone = normalize_phone(str(ctx.request.path_params["phone"])[:32])
        if found is None or check_phone(phone) is not None:
            return render(ctx, "lk/not_found.html", "bases", status_code=404)
        current = await svc.bases.subscriber(account, found.id, phone)
        if current is None:
            return render(ctx, "lk/not_found.html", "bases", status_code=404)
        notice = error = ""
        values: dict[str, str] = dict(current.fields)
        if ctx.request.method == "POST":
            if ctx.form.get("action") == "delete":
                change = SubscriberChange(phone, delete=True)
                await svc.bases.change_phones(account, [(found.id, [change])])
                return redirect(f"/lk/bases/{found.id}?removed=1")
            given, error = _fields_from_form(ctx.form)
            if given is None:
                values = {name: _text(ctx.form, name) for name in SUBSCRIBER_FIELDS}
            else:
                change = SubscriberChange(phone, given=given)
                await svc.bases.change_phones(account, [(found.id, [change])])
                current = await svc.bases.subscriber(account, found.id, phone) or current
                values = dict(current.fields)
                notice = "Saved"
        return render(
            ctx,
            "lk/subscriber.html",
            "bases",
            base=found,
            subscriber=current,
            values=values,
            fields=SUBSCRIBER_FIELDS,
            notice=notice,
            error=error,
        )

    return [Route("/bases/{id}/phones/{phone}", subscriber, methods=["GET", "POST"])]
