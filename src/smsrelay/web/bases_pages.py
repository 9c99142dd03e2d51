"""Subscriber bases in the cabinet (the X9-X12 features): list, create, delete; a base's
subscribers page by page; numbers pasted in; a CSV imported with a column mapping the client
checks on a preview of the first rows before anything is stored. Editing a base's settings
and one subscriber is ``base_forms``.

The uploaded CSV is kept through ``FileService`` (the account's own upload, by id) between
the preview and the import, so the browser never has to send it twice.
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any, Final

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account
from ..domain.messages import check_phone, normalize_phone
from ..domain.senders import SenderState
from ..services.bases import (
    SUBSCRIBER_FIELDS,
    BaseOp,
    BaseSettings,
    SettingsPatch,
    SubscriberChange,
)
from ..services.compose import parse_recipients
from .base_forms import settings_from_form, subscriber_routes, subscriber_url
from .context import WebContext
from .pages import PageContext, PageMaker, Render

__all__ = ["bases_routes", "guess_mapping", "read_csv"]

PREVIEW_ROWS: Final = 5
MAX_IMPORT_ROWS: Final = 100_000
CHUNK: Final = 1000
COLUMNS: Final = ("", "phone", *SUBSCRIBER_FIELDS)


def read_csv(data: bytes) -> list[list[str]]:
    """Rows of a CSV in UTF-8 (or Windows-1251, as Russian spreadsheets save it), with the
    delimiter sniffed among , ; and tab."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1251", errors="replace")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]


def guess_mapping(rows: list[list[str]]) -> list[str]:
    """A first guess per column: the one whose values look like phone numbers is ``phone``;
    a header naming a known field maps to it; the rest is ignored."""
    width = max((len(r) for r in rows), default=0)
    out = [""] * width
    header = [c.strip().lower() for c in rows[0]] if rows else []
    for i, name in enumerate(header):
        if name in COLUMNS:
            out[i] = name
    if "phone" not in out:
        for i in range(width):
            values = [r[i] for r in rows[1:] or rows if i < len(r)]
            if values and all(check_phone(normalize_phone(v)) is None for v in values):
                out[i] = "phone"
                break
    return out


def bases_routes(web: WebContext, page: PageMaker, render: Render) -> list[BaseRoute]:
    svc = web.services

    async def _base(account: Account, raw: str) -> Any:
        if not (raw.isascii() and raw.isdigit()):
            return None
        return next((b for b in await svc.bases.list_bases(account) if b.id == int(raw)), None)

    @page
    async def bases(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        notice = error = ""
        if ctx.request.method == "POST":
            if ctx.form.get("action") == "delete":
                raw = str(ctx.form.get("id", ""))
                if raw.isascii() and raw.isdigit() and len(raw) <= 18:
                    await svc.bases.change_bases(account, [BaseOp(int(raw), delete=True)])
                    notice = "Removed"
            else:
                name = str(ctx.form.get("name", "")).strip()[:200]
                if not name:
                    error = "Enter a name"
                else:
                    await svc.bases.change_bases(
                        account, [BaseOp(None, SettingsPatch(name_base=name))]
                    )
                    notice = "Saved"
        listing = await svc.bases.list_bases(account)
        return render(ctx, "lk/bases.html", "bases", bases=listing, notice=notice, error=error)

    @page
    async def base(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        found = await _base(account, str(ctx.request.path_params["id"]))
        if found is None:
            return render(ctx, "lk/not_found.html", "bases", status_code=404)
        notice = error = ""
        if ctx.request.query_params.get("removed") == "1":
            notice = "Subscriber removed"
        preview = None
        settings = found.settings
        if ctx.request.method == "POST":
            action = str(ctx.form.get("action", ""))
            if action == "settings":
                patch, error = settings_from_form(ctx.form)
                if patch is None:
                    settings = _as_typed(ctx)
                else:
                    await svc.bases.change_bases(account, [BaseOp(found.id, patch)])
                    found = await _base(account, str(found.id)) or found
                    settings = found.settings
                    notice = "Saved"
            elif action == "paste":
                phones = parse_recipients(str(ctx.form.get("phones", ""))[:400_000]).phones
                await _store(account, found.id, [SubscriberChange(p) for p in phones])
                notice = "Saved"
            elif action == "preview":
                upload = ctx.form.get("file")
                if upload is None or isinstance(upload, str) or not upload.filename:
                    error = "Choose a CSV file"
                else:
                    data = await upload.read(svc.files.max_bytes + 1)
                    if len(data) > svc.files.max_bytes or not data:
                        error = "The file is empty or too large"
                    else:
                        rows = read_csv(data)
                        file_id = await svc.files.save(account, upload.filename, "text/csv", data)
                        preview = {
                            "file_id": file_id,
                            "rows": rows[:PREVIEW_ROWS],
                            "mapping": guess_mapping(rows[: PREVIEW_ROWS + 1]),
                            "total": len(rows),
                        }
            elif action == "import":
                done, skipped = await _import(ctx, account, found.id)
                notice = "Imported" if done else "Nothing imported"
                _ = skipped
        raw_page = ctx.request.query_params.get("page", "1")
        number = (
            int(raw_page)
            if raw_page.isascii() and raw_page.isdigit() and 0 < int(raw_page) < 100_000
            else 1
        )
        phones = await svc.bases.phone_page(account, found.id, number, None)
        return render(
            ctx,
            "lk/base_detail.html",
            "bases",
            base=found,
            settings=settings,
            senders=await _senders(account),
            subscriber_url=subscriber_url,
            phones=phones,
            preview=preview,
            columns=COLUMNS,
            notice=notice,
            error=error,
        )

    def _as_typed(ctx: PageContext) -> BaseSettings:
        """The settings form as the client typed it (shown again with the error)."""
        f = ctx.form
        days = str(f.get("day_before", ""))[:8]
        return BaseSettings(
            name_base=str(f.get("name_base", ""))[:200],
            time_birth=str(f.get("time_birth", ""))[:8],
            local_time_birth=f.get("local_time_birth") == "on",
            day_before=int(days) if days.isascii() and days.isdigit() else 0,
            originator_birth=str(f.get("originator_birth", ""))[:32],
            on_birth=f.get("on_birth") == "on",
            greeting=str(f.get("greeting", ""))[:10_000],
        )

    async def _senders(account: Account) -> list[str]:
        listing = await svc.senders.listing(account)
        return [s.name for s in listing if s.state is SenderState.COMPLETED]

    async def _store(account: Account, base_id: int, changes: list[SubscriberChange]) -> None:
        for i in range(0, len(changes), CHUNK):
            await svc.bases.change_phones(account, [(base_id, changes[i : i + CHUNK])])

    async def _import(ctx: PageContext, account: Account, base_id: int) -> tuple[int, int]:
        raw = str(ctx.form.get("file_id", ""))
        stored = (
            await svc.files.file_of(account, int(raw)) if raw.isascii() and raw.isdigit() else None
        )
        if stored is None:
            return 0, 0
        data = await asyncio.to_thread(svc.files.path_of(stored).read_bytes)
        rows = read_csv(data)[:MAX_IMPORT_ROWS]
        mapping = [str(ctx.form.get(f"col{i}", "")) for i in range(64)]
        mapping = [m if m in COLUMNS else "" for m in mapping]
        if "phone" not in mapping:
            return 0, len(rows)
        skip_header = ctx.form.get("header") == "on"
        changes: list[SubscriberChange] = []
        skipped = 0
        for row in rows[1 if skip_header else 0 :]:
            values = {m: row[i].strip()[:200] for i, m in enumerate(mapping) if m and i < len(row)}
            phone = normalize_phone(values.pop("phone", ""))
            if check_phone(phone) is not None:
                skipped += 1
                continue
            changes.append(SubscriberChange(phone, given=values))
        await _store(account, base_id, changes)
        return len(changes), skipped

    return [
        Route("/bases", bases, methods=["GET", "POST"]),
        Route("/bases/{id}", base, methods=["GET", "POST"]),
        *subscriber_routes(web, page, render),
    ]
