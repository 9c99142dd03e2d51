"""The client cabinet (``/lk/``): overview, send, history, senders, statement, settings.

Every handler gets the logged-in :class:`Account` re-read for this request and passes it to
a service; no handler takes an account id from the request.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account
from ..domain.errors import DocumentError
from ..domain.messages import Channel
from ..services.cabinet import HistoryFilter, StatusGroup, group_of
from ..services.commands import Credentials, SendItem, SendRecipient
from ..services.compose import estimate, parse_recipients
from ..services.localtime import from_local, to_local
from ..services.senders import Registration, RegistrationResult
from ..services.web_access import SessionKind, WebSession
from .charts import ORDER, stacked_bars
from .context import WebContext
from .login import LoginSide, lang_handler, login_endpoint, logout_handler
from .pages import Page, PageContext, parse_local
from .security import CLIENT

__all__ = ["cabinet_routes"]

STATUS_LABELS = {
    StatusGroup.DELIVERED: "Delivered",
    StatusGroup.PENDING: "In progress",
    StatusGroup.UNDELIVERED: "Not delivered",
    StatusGroup.EXPIRED: "Expired",
    StatusGroup.REJECTED: "Rejected",
}


def _local(account: Account, value: datetime | None) -> str:
    if value is None:
        return "—"
    return to_local(value, account).strftime("%d.%m.%Y %H:%M:%S")


def cabinet_routes(web: WebContext) -> list[BaseRoute]:
    svc = web.services
    r = web.renderer

    async def load(session: WebSession) -> Account | None:
        account = await svc.cabinet.account(session.subject_id)
        return account

    page = Page(CLIENT, SessionKind.CLIENT, web.signer, svc.access.session, load)

    def render(ctx: PageContext, template: str, active: str, **values: Any) -> Response:
        return r.render(
            template,
            ctx.lang,
            account=ctx.subject,
            csrf=ctx.session.csrf,
            active=active,
            request_path=ctx.request.url.path,
            side="lk",
            local=lambda v: _local(ctx.subject, v),
            status_label=lambda s: ctx.t(STATUS_LABELS[group_of(s)]),
            status_group=lambda s: group_of(s).value,
            **values,
        )

    # --- login ---------------------------------------------------------------------------

    async def check(name: str, password: str, _ip: str, lang: str) -> tuple[int, str] | None:
        try:
            account = await svc.platform.authenticate(Credentials(login=name, password=password))
        except DocumentError:
            return None
        return account.id, await svc.access.account_lang(account.id) or lang

    side = LoginSide(
        CLIENT,
        SessionKind.CLIENT,
        "/lk/",
        "lk",
        "Client cabinet",
        svc.access.client_throttle,
        check,
    )
    login = login_endpoint(web, side)

    async def remember(ctx: PageContext, lang: str) -> None:
        await svc.access.save_account_lang(ctx.subject.id, lang)  # the next logins too

    logout = page(logout_handler(web, side))
    set_lang = page(lang_handler(web, side, remember))

    # --- overview ------------------------------------------------------------------------

    @page
    async def overview(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        days = await svc.cabinet.daily(account, 30)
        today = to_local(svc.clock.now(), account).date()  # the account's day, as the chart
        first = today - timedelta(days=29)
        totals: dict[StatusGroup, int] = dict.fromkeys(ORDER, 0)
        today_counts: dict[StatusGroup, int] = dict.fromkeys(ORDER, 0)
        spent = sum((d.spent.micros for d in days), 0)
        for d in days:
            for g, n in d.counts.items():
                totals[g] += n
                if d.day == today:
                    today_counts[g] += n
        finished = sum(n for g, n in totals.items() if g is not StatusGroup.PENDING)
        rate = 100.0 * totals[StatusGroup.DELIVERED] / finished if finished else None
        balance = await svc.platform.balance(account)
        labels = {g: ctx.t(STATUS_LABELS[g]) for g in ORDER}
        chart = stacked_bars(days, first, 30, labels)
        from ..domain.money import Money

        return render(
            ctx,
            "lk/overview.html",
            "overview",
            balance=balance,
            totals=totals,
            today=today_counts,
            total30=sum(totals.values()),
            today_total=sum(today_counts.values()),
            rate=rate,
            spent=Money(spent),
            chart=chart,
            order=ORDER,
            labels=labels,
            areas=[a for a in balance.areas if a.channel is Channel.SMS],
        )

    # --- send ----------------------------------------------------------------------------

    async def _senders(account: Account) -> list[str]:
        listing = await svc.senders.listing(account)
        return [s.name for s in listing if s.state.value == "completed"]

    async def _base_phones(account: Account, base_id: int) -> list[str]:
        """Every number of one of the account's bases (at most 10,000: one send's bound)."""
        phones: list[str] = []
        for number in range(1, 101):
            found = await svc.bases.phone_page(account, base_id, number, None)
            if found is None:
                break
            phones += [s.phone for s in found.subscribers]
            if number >= found.num_pages:
                break
        return phones

    @page
    async def send(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        senders = await _senders(account)
        bases = await svc.bases.list_bases(account) if svc.bases is not None else []
        values: dict[str, Any] = {
            "senders": senders,
            "bases": bases,
            "results": None,
            "form": {},
            "error": "",
        }
        if ctx.request.method == "POST":
            f = ctx.form
            values["form"] = {
                k: str(f.get(k, ""))[:5000]
                for k in (
                    "base",
                    "phones",
                    "text",
                    "sender",
                    "campaign",
                    "time_send",
                    "valid_until",
                    "channel",
                )
            }
            pasted = str(f.get("phones", ""))[:400_000]
            base_raw = str(f.get("base", ""))
            if base_raw.isdigit() and svc.bases is not None:
                pasted += "\n" + "\n".join(await _base_phones(account, int(base_raw)))
            recipients = parse_recipients(pasted)
            text = str(f.get("text", ""))[:5000]
            sender = str(f.get("sender", ""))[:32]
            campaign = str(f.get("campaign", "")).strip()[:128]
            when = parse_local(str(f.get("time_send", "")))
            valid = parse_local(str(f.get("valid_until", "")))
            channel_word = str(f.get("channel", "sms"))
            channel = Channel.VIBER if channel_word in ("viber", "cascade") else Channel.SMS
            fallback = Channel.SMS if channel_word == "cascade" else None
            if not recipients.phones:
                values["error"] = "Enter at least one phone number"
            elif not text.strip():
                values["error"] = "Enter the text of the message"
            elif recipients.too_many:
                values["error"] = "Too many recipients in one send (10,000 at most)"
            else:
                item = SendItem(
                    recipients=[
                        SendRecipient(
                            phone=p,
                            time_send=when,
                            validity_period=valid if channel is Channel.SMS else None,
                            validity_period_viber=valid if channel is Channel.VIBER else None,
                        )
                        for p in recipients.phones
                    ],
                    sender=sender or None,
                    text=text,
                    channel=channel,
                    fallback=fallback,
                    extra={"name_delivery": campaign} if campaign else {},
                )
                try:
                    results = await svc.platform.send(account, [item])
                except DocumentError:
                    values["error"] = "The message was refused"
                else:
                    values["results"] = list(zip(recipients.phones, results, strict=True))
                    values["invalid"] = recipients.invalid
                    values["duplicates"] = recipients.duplicates
                    values["accepted"] = sum(1 for x in results if x.ok)
        return render(ctx, "lk/send.html", "send", **values)

    @page
    async def send_estimate(ctx: PageContext) -> Response:
        pasted = str(ctx.form.get("phones", ""))[:400_000]
        base_raw = str(ctx.form.get("base", ""))
        if base_raw.isdigit() and svc.bases is not None:
            pasted += "\n" + "\n".join(await _base_phones(ctx.subject, int(base_raw)))
        recipients = parse_recipients(pasted)
        text = str(ctx.form.get("text", ""))[:5000]
        prices = await svc.prices()
        est = estimate(text, recipients.phones, prices)
        return r.render(
            "lk/estimate.html",
            ctx.lang,
            est=est,
            recipients=recipients,
            account=ctx.subject,
        )

    # --- history -------------------------------------------------------------------------

    def _filter(ctx: PageContext) -> tuple[HistoryFilter, dict[str, str]]:
        q = ctx.request.query_params
        raw = {
            k: q.get(k, "")[:64] for k in ("from", "to", "status", "phone", "sender", "campaign")
        }
        account: Account = ctx.subject
        since = parse_local(raw["from"])
        until = parse_local(raw["to"])
        group = raw["status"] if raw["status"] in {g.value for g in StatusGroup} else ""
        flt = HistoryFilter(
            since=from_local(since, account) if since else None,
            until=from_local(until + timedelta(days=1), account) if until else None,
            group=StatusGroup(group) if group else None,
            phone="".join(ch for ch in raw["phone"] if ch.isdigit())[:20],
            sender=raw["sender"].strip()[:64],
            campaign=raw["campaign"].strip()[:128],
        )
        return flt, raw

    @page
    async def history(ctx: PageContext) -> Response:
        flt, raw = _filter(ctx)
        before_raw = ctx.request.query_params.get("before", "")
        before = int(before_raw) if before_raw.isdigit() else None
        result = await svc.cabinet.history(ctx.subject, flt, before)
        query = "&".join(f"{k}={v}" for k, v in raw.items() if v)
        from urllib.parse import urlencode

        query = urlencode({k: v for k, v in raw.items() if v})
        return render(
            ctx,
            "lk/history.html",
            "history",
            page=result,
            f=raw,
            query=query,
            groups=[(g.value, ctx.t(STATUS_LABELS[g])) for g in ORDER],
            first_page=before is None,
        )

    @page
    async def message(ctx: PageContext) -> Response:
        raw = ctx.request.path_params.get("id", "")
        detail = await svc.cabinet.detail(ctx.subject, int(raw)) if str(raw).isdigit() else None
        if detail is None:
            return render(ctx, "lk/not_found.html", "history", status_code=404)
        return render(ctx, "lk/message.html", "history", d=detail, m=detail.row)

    @page
    async def history_csv(ctx: PageContext) -> Response:
        flt, _ = _filter(ctx)
        account: Account = ctx.subject

        async def rows() -> AsyncIterator[str]:
            buf = io.StringIO()
            out = csv.writer(buf)
            out.writerow(
                [
                    "id_sms",
                    "created",
                    "phone",
                    "sender",
                    "text",
                    "parts",
                    "price",
                    "status",
                    "status_time",
                    "campaign",
                ]
            )
            n = 0
            async for m in svc.cabinet.export(account, flt):
                out.writerow(
                    [
                        m.id,
                        _local(account, m.created_at),
                        m.phone,
                        _csv_safe(m.sender),
                        _csv_safe(m.text),
                        m.parts,
                        m.cost.format(2),
                        m.status.value,
                        _local(account, m.status_at) if m.status_at else "",
                        _csv_safe(m.campaign),
                    ]
                )
                n += 1
                if n % 500 == 0:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue()

        stamp = svc.clock.now().strftime("%Y%m%d-%H%M")
        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="history-{stamp}.csv"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    # --- senders -------------------------------------------------------------------------

    @page
    async def senders(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        notice = error = ""
        if ctx.request.method == "POST":
            f = ctx.form
            file_id = None
            upload = f.get("document")
            try:
                if upload is not None and not isinstance(upload, str) and upload.filename:
                    data = await upload.read(svc.files.max_bytes + 1)
                    if len(data) > svc.files.max_bytes:
                        raise ValueError("file too large")
                    file_id = await svc.files.save(
                        account, upload.filename, upload.content_type or "", data
                    )
                reg = Registration(
                    name=str(f.get("name", "")).strip(),
                    inn=str(f.get("inn", "")).strip(),
                    kpp=str(f.get("kpp", "")).strip(),
                    ogrn=str(f.get("ogrn", "")).strip(),
                    name_counterparty=str(f.get("name_counterparty", "")).strip(),
                    template=str(f.get("template", "")).strip(),
                    comment=str(f.get("comment", "")).strip(),
                    operator=str(f.get("operator", "")).strip(),
                    file_id=file_id,
                )
                [outcome] = await svc.senders.register(account, [reg])
            except Exception as exc:  # validation of the form: one message for the person
                error = "The request could not be filed" + (f": {exc}" if str(exc) else "")
            else:
                if outcome.result is RegistrationResult.BAD_NAME:
                    error = "Sender names are up to 11 Latin letters and digits, or 15 digits"
                elif outcome.result is RegistrationResult.ADDED:
                    notice = "The sender is ready to use"
                else:
                    notice = "The request was sent for moderation"
        listing = await svc.senders.listing(account)
        return render(
            ctx, "lk/senders.html", "senders", listing=listing, notice=notice, error=error
        )

    # --- statement -----------------------------------------------------------------------

    @page
    async def statement(ctx: PageContext) -> Response:
        before_raw = ctx.request.query_params.get("before", "")
        before = int(before_raw) if before_raw.isdigit() else None
        rows = await svc.cabinet.statement(ctx.subject, before, 51)
        more = len(rows) > 50
        rows = rows[:50]
        return render(
            ctx,
            "lk/statement.html",
            "statement",
            rows=rows,
            next_before=rows[-1].id if more else None,
        )

    @page
    async def statement_csv(ctx: PageContext) -> Response:
        account: Account = ctx.subject

        async def rows() -> AsyncIterator[str]:
            buf = io.StringIO()
            out = csv.writer(buf)
            out.writerow(["id", "time", "kind", "amount", "balance_after", "id_sms"])
            async for s in svc.cabinet.statement_all(account):
                out.writerow(
                    [
                        s.id,
                        _local(account, s.at),
                        s.kind,
                        s.amount.format(2),
                        s.balance_after.format(2),
                        s.message_id or "",
                    ]
                )
                if buf.tell() > 32_000:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue()

        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="statement.csv"'},
        )

    # --- settings ------------------------------------------------------------------------

    @page
    async def settings(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        notice = error = ""
        token = None
        if ctx.request.method == "POST":
            action = str(ctx.form.get("action", ""))
            if action == "rotate_token":
                token = await svc.console.rotate_token(account.id)
                notice = "A new API token was issued; the old one no longer works"
            elif action == "tz":
                raw = str(ctx.form.get("tz", "0")).strip()
                try:
                    await svc.console.set_time_zone(account.id, int(raw))
                except ValueError:
                    error = "Choose a time zone from the list"
                else:
                    notice = "Time zone changed"
                    ctx.subject = await svc.cabinet.account(account.id) or account
            elif action == "password":
                current = str(ctx.form.get("current", ""))[:256]
                new = str(ctx.form.get("new", ""))[:256]
                try:
                    await svc.platform.authenticate(
                        Credentials(login=account.login, password=current)
                    )
                except DocumentError:
                    error = "The current password is wrong"
                else:
                    if len(new) < 8:
                        error = "The new password must have at least 8 characters"
                    else:
                        await svc.console.reset_password(account.id, new)
                        notice = "Password changed"
        smpp = await svc.smpp.view(ctx.subject) if svc.smpp is not None else None
        return render(
            ctx,
            "lk/settings.html",
            "settings",
            notice=notice,
            error=error,
            token=token,
            smpp=smpp,
        )

    from .bases_pages import bases_routes
    from .cabinet_more import more_cabinet_routes

    return [
        *more_cabinet_routes(web, page, render),
        *bases_routes(web, page, render),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang", set_lang, methods=["POST"]),
        Route("/", overview, methods=["GET"]),
        Route("/send", send, methods=["GET", "POST"]),
        Route("/send/estimate", send_estimate, methods=["POST"]),
        Route("/history", history, methods=["GET"]),
        Route("/history.csv", history_csv, methods=["GET"]),
        Route("/history/{id}", message, methods=["GET"]),
        Route("/senders", senders, methods=["GET", "POST"]),
        Route("/statement", statement, methods=["GET"]),
        Route("/statement.csv", statement_csv, methods=["GET"]),
        Route("/settings", settings, methods=["GET", "POST"]),
    ]


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


_ = (date, UTC)
