"""The operator console (``/admin/``): live state, accounts, moderation, audit log.

Operators act through the same services as the CLI (``AdminService``, ``SenderRegistry``,
``RegistrationService``); each action that changes something writes one audit row.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.money import Money, MoneyError
from ..domain.senders import SenderState, is_valid_sender
from ..services.admin import AdminError
from ..services.cabinet import HistoryFilter
from ..services.senders import SenderError
from ..services.web_access import Operator, SessionKind, WebSession
from .context import WebContext
from .login import LoginSide, lang_handler, login_endpoint, logout_handler
from .pages import Handler, Page, PageContext, redirect
from .security import OPERATOR

__all__ = ["console_routes"]

Endpoint = Callable[[Request], Awaitable[Response]]


def rate_of(raw: str) -> float | Literal[False] | None:
    """Parts per second from a form: None (no limit) for 0, False if not a limit."""
    try:
        rate = float(raw.replace(",", "."))
    except ValueError:
        return False
    if not math.isfinite(rate) or not 0 <= rate <= 100_000:
        return False
    return rate if rate > 0 else None


def console_routes(web: WebContext) -> list[BaseRoute]:
    svc = web.services
    r = web.renderer

    async def load(session: WebSession) -> Operator | None:
        return await svc.access.operator(session.subject_id)

    base_page = Page(OPERATOR, SessionKind.OPERATOR, web.signer, svc.access.session, load)

    def page(handler: Handler) -> Endpoint:
        """A console page; a ``viewer`` operator may look but change nothing."""

        async def checked(ctx: PageContext) -> Response:
            read_only = ctx.subject.role != "admin"
            if (
                read_only
                and ctx.request.method != "GET"
                and ctx.request.url.path
                not in (
                    "/admin/logout",
                    "/admin/lang",
                )
            ):
                return Response("this operator may only look", status_code=403)
            return await handler(ctx)

        return base_page(checked)

    def render(ctx: PageContext, template: str, active: str, **values: Any) -> Response:
        return r.render(
            template,
            ctx.lang,
            operator=ctx.subject,
            csrf=ctx.session.csrf,
            active=active,
            request_path=ctx.request.url.path,
            side="admin",
            utc=lambda v: v.strftime("%d.%m.%Y %H:%M:%S") if v else "—",
            **values,
        )

    async def audit(ctx: PageContext, action: str, target: str, detail: str = "") -> None:
        await svc.access.audit(ctx.subject.id, action, target, detail)

    # --- login ---------------------------------------------------------------------------

    async def check(name: str, password: str, ip: str, lang: str) -> tuple[int, str] | None:
        op = await svc.access.check_operator(name, password)
        if op is None:
            return None
        await svc.access.audit(op.id, "login", op.name, ip)
        return op.id, lang

    side = LoginSide(
        OPERATOR,
        SessionKind.OPERATOR,
        "/admin/",
        "admin",
        "Operator console",
        svc.access.operator_throttle,
        check,
    )
    login = login_endpoint(web, side)

    logout = page(logout_handler(web, side))
    set_lang = page(lang_handler(web, side, None))

    # --- live ----------------------------------------------------------------------------

    @page
    async def live(ctx: PageContext) -> Response:
        snap = await svc.console.live()
        return render(ctx, "admin/live.html", "live", snap=snap)

    @page
    async def live_panel(ctx: PageContext) -> Response:
        snap = await svc.console.live()
        return r.render("admin/live_panel.html", ctx.lang, snap=snap)

    # --- accounts ------------------------------------------------------------------------

    @page
    async def accounts(ctx: PageContext) -> Response:
        notice = error = ""
        if ctx.request.method == "POST":
            f = ctx.form
            login_name = str(f.get("login", "")).strip()[:64]
            try:
                _, token = await svc.admin.create_account(
                    login_name,
                    str(f.get("password", ""))[:256],
                    balance=Money.parse(str(f.get("balance", "0")).strip() or "0"),
                    any_sender=f.get("any_sender") == "on",
                )
            except (AdminError, MoneyError) as exc:
                error = str(exc)
            else:
                await audit(ctx, "account.create", login_name)
                notice = "Account created"
                _ = token
        q = ctx.request.query_params.get("q", "")[:64]
        found = await svc.console.search_accounts(q)
        return render(
            ctx, "admin/accounts.html", "accounts", found=found, q=q, notice=notice, error=error
        )

    async def _account_by_id(raw: str) -> Any:
        if not raw.isdigit():
            return None
        return await svc.cabinet.account(int(raw))

    @page
    async def account(ctx: PageContext) -> Response:
        acc = await _account_by_id(str(ctx.request.path_params.get("id", "")))
        if acc is None:
            found = await svc.console.search_accounts(str(ctx.request.path_params.get("id")))
            summary = next((a for a in found if str(a.id) == ctx.request.path_params["id"]), None)
            if summary is None or summary.active:
                return render(ctx, "admin/not_found.html", "accounts", status_code=404)
            return render(ctx, "admin/pending.html", "accounts", summary=summary)
        notice = error = ""
        token = None
        if ctx.request.method == "POST":
            action = str(ctx.form.get("action", ""))
            try:
                if action == "topup":
                    amount = Money.parse(str(ctx.form.get("amount", "")).strip())
                    await svc.admin.topup(acc.login, amount)
                    await audit(ctx, "account.topup", acc.login, amount.format(2))
                    notice = "Balance changed"
                elif action in ("lock", "unlock"):
                    await svc.admin.set_locked(acc.login, action == "lock")
                    await audit(ctx, f"account.{action}", acc.login)
                    notice = "Account locked" if action == "lock" else "Account unlocked"
                elif action == "password":
                    await svc.console.reset_password(acc.id, str(ctx.form.get("password", "")))
                    await audit(ctx, "account.password", acc.login)
                    notice = "Password changed"
                elif action in ("limit", "sender_limit"):
                    notice, error = await _set_limit(ctx, acc.login, action == "sender_limit")
                elif action == "token":
                    token = await svc.console.rotate_token(acc.id)
                    await audit(ctx, "account.token", acc.login)
                    notice = "A new API token was issued"
            except (AdminError, MoneyError, ValueError) as exc:
                error = str(exc)
            acc = await _account_by_id(str(acc.id))
        limits = [lim for lim in (await svc.routing.config()).limits if lim.account_id == acc.id]
        stmt = await svc.cabinet.statement(acc, None, 20)
        recent = await svc.cabinet.history(acc, HistoryFilter())
        days = await svc.cabinet.daily(acc, 30)
        return render(
            ctx,
            "admin/account.html",
            "accounts",
            acc=acc,
            account_limit=next((lim for lim in limits if not lim.sender), None),
            sender_limits=[lim for lim in limits if lim.sender],
            senders=[x.name for x in await svc.senders.list(acc.login)],
            stmt=stmt,
            recent=recent.rows[:20],
            days=days,
            notice=notice,
            error=error,
            token=token,
        )

    async def _set_limit(ctx: PageContext, login: str, per_sender: bool) -> tuple[str, str]:
        """The account's limit, or one sender name's, through ``RoutingAdmin.set_limit`` as
        ``smsrelay account limit LOGIN RATE [--sender NAME]`` sets it; (notice, error)."""
        sender = str(ctx.form.get("sender", "")).strip()[:32] if per_sender else ""
        raw = str(ctx.form.get("parts_per_s", "0")).strip()[:16] or "0"
        rate = rate_of(raw)
        notice = error = ""
        if per_sender and not is_valid_sender(sender):
            error = "Enter a sender name (up to 11 characters, or 15 digits)"
        elif rate is False:
            error = "A limit is a number of parts per second up to 100000 (0 removes it)"
        else:
            await svc.routing.set_limit(login, rate, sender)
            target = f"{login}/{sender}" if per_sender else login
            await audit(ctx, f"account.{'sender_' if per_sender else ''}limit", target, raw)
            notice = "Saved"
            if rate is None:
                notice = "Limit removed"
        return notice, error

    @page
    async def activate(ctx: PageContext) -> Response:
        login_name = str(ctx.form.get("login", ""))[:64]
        if svc.registration is not None:
            try:
                account_id = await svc.registration.activate(login_name)
            except Exception as exc:  # RegistrationError: shown on the list
                return redirect(f"/admin/accounts?q={login_name}&e={type(exc).__name__}")
            await audit(ctx, "account.activate", login_name)
            return redirect(f"/admin/accounts/{account_id}")
        return redirect("/admin/accounts")

    # --- moderation ----------------------------------------------------------------------

    @page
    async def moderation(ctx: PageContext) -> Response:
        notice = error = ""
        if ctx.request.method == "POST":
            login_name = str(ctx.form.get("login", ""))[:64]
            name = str(ctx.form.get("name", ""))[:32]
            comment = str(ctx.form.get("comment", "")).strip()[:2000]
            try:
                if ctx.form.get("action") == "approve":
                    await svc.senders.approve(login_name, name)
                    await audit(ctx, "sender.approve", f"{login_name}/{name}", comment)
                    notice = "Sender approved"
                else:
                    await svc.senders.reject(login_name, name, comment or "—")
                    await audit(ctx, "sender.reject", f"{login_name}/{name}", comment)
                    notice = "Sender rejected"
            except SenderError as exc:
                error = str(exc)
        listing = await svc.senders.list()
        pending = [s for s in listing if s.state is SenderState.ORDER]
        decided = [s for s in listing if s.state is not SenderState.ORDER][-50:]
        return render(
            ctx,
            "admin/moderation.html",
            "moderation",
            pending=pending,
            decided=decided,
            notice=notice,
            error=error,
        )

    @page
    async def document(ctx: PageContext) -> Response:
        login_name = ctx.request.path_params["login"]
        raw = ctx.request.path_params["file_id"]
        try:
            account_id = await svc.senders.account_id(login_name)
        except SenderError:
            return Response("not found", status_code=404)
        acc = await svc.cabinet.account(account_id)
        stored = await svc.files.file_of(acc, int(raw)) if acc and raw.isdigit() else None
        if stored is None:
            return Response("not found", status_code=404)
        path: Path = svc.files.path_of(stored)
        if not await asyncio.to_thread(path.exists):
            return Response("not found", status_code=404)
        return FileResponse(
            path,
            media_type="application/octet-stream",
            filename=stored.filename,
            headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
        )

    # --- audit ---------------------------------------------------------------------------

    @page
    async def audit_log(ctx: PageContext) -> Response:
        before_raw = ctx.request.query_params.get("before", "")
        before = int(before_raw) if before_raw.isdigit() else None
        entries = await svc.access.audit_page(before, 101)
        more = len(entries) > 100
        entries = entries[:100]
        return render(
            ctx,
            "admin/audit.html",
            "audit",
            entries=entries,
            next_before=entries[-1].id if more else None,
        )

    from .console_more import more_console_routes
    from .console_tariffs import tariff_console_routes

    return [
        *more_console_routes(web, page, render, audit),
        *tariff_console_routes(web, page, render, audit),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang", set_lang, methods=["POST"]),
        Route("/", live, methods=["GET"]),
        Route("/live/panel", live_panel, methods=["GET"]),
        Route("/accounts", accounts, methods=["GET", "POST"]),
        Route("/accounts/activate", activate, methods=["POST"]),
        Route("/accounts/{id}", account, methods=["GET", "POST"]),
        Route("/moderation", moderation, methods=["GET", "POST"]),
        Route("/files/{login}/{file_id}", document, methods=["GET"]),
        Route("/audit", audit_log, methods=["GET"]),
    ]
