"""Console pages: carriers and routes (editable, applied live as the CLI's changes are:
every change bumps the routing version the running engine polls), prices, limits, and
reports of traffic and revenue by day, account, area and connector (with CSV export)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.messages import Channel
from ..domain.money import Money, MoneyError
from ..services.admin import AdminError
from ..services.console import REPORT_GROUPS
from ..services.routing import ConnectorSpec
from .context import WebContext
from .pages import PageContext, PageMaker, Render, parse_local

__all__ = ["more_console_routes"]


def _int(value: Any, default: int) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else default


def more_console_routes(
    web: WebContext, page: PageMaker, render: Render, audit: Any
) -> list[BaseRoute]:
    svc = web.services

    @page
    async def routing(ctx: PageContext) -> Response:
        notice = error = ""
        if ctx.request.method == "POST":
            f = ctx.form
            action = str(f.get("action", ""))
            try:
                if action == "connector":
                    throughput = str(f.get("throughput", "")).strip()
                    spec = ConnectorSpec(
                        name=str(f.get("name", "")).strip(),
                        host=str(f.get("host", "")).strip(),
                        port=_int(f.get("port"), 2775),
                        system_id=str(f.get("system_id", "")).strip(),
                        password=str(f.get("password", "")),
                        window=_int(f.get("window"), 10),
                        throughput=float(throughput) if throughput else None,
                        binds=_int(f.get("binds"), 1),
                    )
                    await svc.routing.add_connector(spec)
                    await audit(ctx, "connector.put", spec.name, f"{spec.host}:{spec.port}")
                    notice = "Saved; applied within a second"
                elif action == "connector_remove":
                    name = str(f.get("name", ""))[:32]
                    await svc.routing.remove_connector(name)
                    await audit(ctx, "connector.remove", name)
                    notice = "Removed"
                elif action == "route":
                    prefix = str(f.get("prefix", "")).strip()
                    names = [
                        n.strip() for n in str(f.get("connectors", "")).split(",") if n.strip()
                    ]
                    spec = await svc.routing.add_route(
                        "" if prefix == "*" else prefix,
                        names,
                        account=str(f.get("account", "")).strip() or None,
                        failover_on_undeliv=f.get("failover") == "on",
                    )
                    await audit(ctx, "route.put", spec.prefix or "*", ",".join(spec.connectors))
                    notice = "Saved; applied within a second"
                elif action == "route_remove":
                    prefix = str(f.get("prefix", ""))[:16]
                    await svc.routing.remove_route(
                        prefix,
                        account=str(f.get("account", "")) or None,
                        operator=str(f.get("operator", "")),
                    )
                    await audit(ctx, "route.remove", prefix or "*")
                    notice = "Removed"
                elif action == "price":
                    prefix = str(f.get("prefix", "")).strip()
                    amount = Money.parse(str(f.get("price", "")).strip())
                    area = str(f.get("area", "")).strip()[:64]
                    await svc.admin.set_price(prefix, amount, area, Channel.SMS)
                    await audit(ctx, "price.set", prefix, f"{amount.format()} {area}")
                    notice = "Saved"
                elif action == "route_price":
                    # the CLI's `price set PREFIX PRICE --route CONNECTOR`, same service
                    connector = str(f.get("connector", "")).strip()[:32]
                    prefix = str(f.get("prefix", "")).strip()[:16]
                    amount = Money.parse(str(f.get("price", "")).strip()[:24])
                    entry = await svc.routing.set_route_price(
                        connector, "" if prefix == "*" else prefix, amount
                    )
                    await audit(
                        ctx,
                        "route_price.set",
                        f"{entry.connector}/{entry.prefix or '*'}",
                        entry.price.format(),
                    )
                    notice = "Saved; applied within a second"
            except (AdminError, MoneyError, ValueError) as exc:
                error = str(exc)
        config = await svc.routing.config()
        prices = await svc.prices()
        return render(
            ctx,
            "admin/routing.html",
            "routing",
            config=config,
            prices=[e for e in prices.entries if e.channel is Channel.SMS],
            notice=notice,
            error=error,
        )

    def _period(ctx: PageContext) -> tuple[datetime, datetime, dict[str, str]]:
        q = ctx.request.query_params
        today = svc.clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = parse_local(q.get("from", "")[:20])
        end = parse_local(q.get("to", "")[:20])
        since = start.replace(tzinfo=UTC) if start else today - timedelta(days=6)
        until = (end.replace(tzinfo=UTC) if end else today) + timedelta(days=1)
        if until - since > timedelta(days=366):
            since = until - timedelta(days=366)
        group = q.get("by", "day")
        group = group if group in REPORT_GROUPS else "day"
        shown = {
            "from": since.date().isoformat(),
            "to": (until - timedelta(days=1)).date().isoformat(),
            "by": group,
        }
        return since, until, shown

    @page
    async def reports(ctx: PageContext) -> Response:
        since, until, shown = _period(ctx)
        rows = await svc.console.report(since, until, shown["by"])
        totals = (
            sum(r.messages for r in rows),
            sum(r.parts for r in rows),
            sum(r.delivered for r in rows),
            Money(sum(r.revenue.micros for r in rows)),
        )
        query = "&".join(f"{k}={v}" for k, v in shown.items())
        return render(
            ctx,
            "admin/reports.html",
            "reports",
            rows=rows,
            f=shown,
            totals=totals,
            query=query,
            groups=REPORT_GROUPS,
        )

    @page
    async def reports_csv(ctx: PageContext) -> Response:
        since, until, shown = _period(ctx)
        rows = await svc.console.report(since, until, shown["by"])
        buf = io.StringIO()
        out = csv.writer(buf)
        out.writerow([shown["by"], "messages", "parts", "delivered", "revenue"])
        for r in rows:
            key = "'" + r.key if r.key[:1] in "=+-@" else r.key
            out.writerow([key, r.messages, r.parts, r.delivered, r.revenue.format(2)])
        return Response(
            buf.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="report-{shown["by"]}.csv"',
                "Cache-Control": "no-store",
            },
        )

    return [
        Route("/routing", routing, methods=["GET", "POST"]),
        Route("/reports", reports, methods=["GET"]),
        Route("/reports.csv", reports_csv, methods=["GET"]),
    ]
