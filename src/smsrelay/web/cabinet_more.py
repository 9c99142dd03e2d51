"""More cabinet pages: stop list, scheduled messages, incoming SMS, the status webhook, and a
reseller's sub-accounts. Each goes through the service the XML API uses for the same thing
(X13/X14 stop list, X15/X16 scheduled, X7 incoming, J3/X3 webhook, X20 credits)."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account
from ..domain.errors import ValidationError
from ..services.bases import ChangeResult
from ..services.compose import parse_recipients
from ..services.localtime import to_local
from ..services.reseller import CreditOrder
from ..services.stoplist import StopAction
from ..services.webhooks import WebhookFormat, WebhookRefused
from .context import WebContext
from .pages import PageContext, PageMaker, Render

__all__ = ["more_cabinet_routes"]


def more_cabinet_routes(web: WebContext, page: PageMaker, render: Render) -> list[BaseRoute]:
    svc = web.services

    @page
    async def stop_list(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        notice = error = ""
        if ctx.request.method == "POST":
            action = StopAction.DELETE if ctx.form.get("action") == "delete" else StopAction.ADD
            phones = parse_recipients(str(ctx.form.get("phones", ""))[:100_000]).phones[:1000]
            if not phones:
                error = "Enter at least one phone number"
            else:
                results = await svc.stop_list.change(account, [(action, p) for p in phones])
                done = sum(1 for r in results if r is not ChangeResult.NOT_FOUND)
                notice = "Stop list updated" if done else "Nothing changed"
        phones = await svc.stop_list.phones(account)
        return render(
            ctx,
            "lk/stop_list.html",
            "stop_list",
            phones=phones[:5000],
            total=len(phones),
            notice=notice,
            error=error,
        )

    @page
    async def scheduled(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        notice = ""
        if ctx.request.method == "POST":
            ids = [int(x) for x in ctx.form.getlist("id") if isinstance(x, str) and x.isdigit()][
                :1000
            ]
            results = await svc.scheduled.cancel(account, ids)
            n = sum(1 for r in results if r is ChangeResult.DELETE)
            notice = "Cancelled and refunded" if n else "Nothing changed"
            ctx.subject = account = await svc.cabinet.account(account.id) or account
        raw = ctx.request.query_params.get("page", "1")
        number = int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
        listing = await svc.scheduled.page(account, number)
        return render(ctx, "lk/scheduled.html", "scheduled", listing=listing, notice=notice)

    @page
    async def incoming(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        now_local = to_local(svc.clock.now(), account)
        rows = await svc.inbound.incoming(account, now_local - timedelta(days=30), None)
        return render(ctx, "lk/incoming.html", "incoming", rows=list(reversed(rows)))

    @page
    async def webhook(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        notice = error = ""
        test_result = ""
        if ctx.request.method == "POST" and ctx.form.get("action") == "test":
            outcome = await svc.webhooks.send_test(account)
            if outcome is None:
                error = "Save a webhook address first"
            elif outcome.error is None and 200 <= (outcome.http_status or 0) < 300:
                notice = "Test sent"
                test_result = f"HTTP {outcome.http_status}"
            else:
                error = "The test was not accepted"
                test_result = outcome.describe() if outcome.error else f"HTTP {outcome.http_status}"
        elif ctx.request.method == "POST":
            try:
                if ctx.form.get("action") == "remove":
                    await svc.webhooks.remove(account)
                    notice = "Webhook removed"
                else:
                    fmt = str(ctx.form.get("format", "json"))
                    secret = str(ctx.form.get("secret", "")).strip()
                    await svc.webhooks.set(
                        account,
                        str(ctx.form.get("url", ""))[:2000],
                        format=WebhookFormat(fmt) if fmt in ("json", "xml") else None,
                        secret=secret or None,
                    )
                    notice = "Webhook saved"
            except (WebhookRefused, ValueError) as exc:
                error = "The address was refused"
                _ = exc
        overview = await svc.webhooks.overview(account, 20)
        return render(
            ctx,
            "lk/webhook.html",
            "webhook",
            o=overview,
            notice=notice,
            error=error,
            test_result=test_result,
        )

    @page
    async def clients(ctx: PageContext) -> Response:
        account: Account = ctx.subject
        notice = error = ""
        if ctx.request.method == "POST":
            kind = "write_off" if ctx.form.get("action") == "write_off" else "manager"
            try:
                order = CreditOrder.parse(
                    str(ctx.form.get("login", ""))[:64], str(ctx.form.get("amount", "")), kind
                )
                [outcome] = await svc.reseller.credit(account, [order])
            except ValidationError:
                error = "Enter a positive amount"
            else:
                if outcome.refusal is None:
                    notice = "Transfer done"
                elif outcome.refusal.value == "NO_MONEY":
                    error = "Not enough money"
                else:
                    error = "This is not your sub-account"
            ctx.subject = account = await svc.cabinet.account(account.id) or account
        children = await svc.cabinet.children(account)
        return render(
            ctx, "lk/clients.html", "clients", children=children, notice=notice, error=error
        )

    return [
        Route("/stop-list", stop_list, methods=["GET", "POST"]),
        Route("/scheduled", scheduled, methods=["GET", "POST"]),
        Route("/incoming", incoming, methods=["GET"]),
        Route("/webhook", webhook, methods=["GET", "POST"]),
        Route("/clients", clients, methods=["GET", "POST"]),
    ]
