"""Console page: tariffs (issue 13). Lists the operator's tariffs with their prices and the
accounts they are assigned to; creates one, sets a prefix price in it, assigns one to an
account (or back to the default tariff) — through the same ``TariffService`` as
``smsrelay tariff create|set|assign|show``. Each change writes one audit row."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.money import MoneyError
from ..services.tariffs import TariffError, TariffInfo, price_entry
from .context import WebContext
from .pages import PageContext, PageMaker, Render

__all__ = ["tariff_console_routes"]

_CHANNELS = ("sms", "viber")


def _field(ctx: PageContext, name: str, limit: int = 64) -> str:
    return str(ctx.form.get(name, "")).strip()[:limit]


def tariff_console_routes(
    web: WebContext, page: PageMaker, render: Render, audit: Any
) -> list[BaseRoute]:
    svc = web.services

    @page
    async def tariffs(ctx: PageContext) -> Response:
        service = svc.tariffs
        if service is None:
            return Response("tariffs are not configured", status_code=404)
        notice = error = ""
        if ctx.request.method == "POST":
            action = _field(ctx, "action")
            name = _field(ctx, "name")
            try:
                if action == "create":
                    await service.create(name)
                    await audit(ctx, "tariff.create", name)
                    notice = "Tariff created"
                elif action == "price":
                    prefix = _field(ctx, "prefix", 16)
                    channel = _field(ctx, "channel", 8) or "sms"
                    if channel not in _CHANNELS:
                        raise TariffError(f"unknown channel {channel!r}")
                    entry = price_entry(
                        prefix, _field(ctx, "price", 32), _field(ctx, "area"), channel
                    )
                    await service.set_price(name, entry)
                    detail = f"{entry.prefix or '*'} {entry.price.format()} {entry.area} {channel}"
                    await audit(ctx, "tariff.price", name, detail)
                    notice = "Saved"
                elif action == "assign":
                    login = _field(ctx, "login")
                    await service.assign(login, name or None)
                    await audit(ctx, "tariff.assign", login, name or "(default)")
                    notice = "Tariff assigned"
            except (TariffError, MoneyError, ValueError) as exc:
                error = str(exc)
        listing: list[TariffInfo] = [await service.show(n) for n in await service.names()]
        response: Response = render(
            ctx,
            "admin/tariffs.html",
            "tariffs",
            tariffs=listing,
            channels=_CHANNELS,
            notice=notice,
            error=error,
        )
        return response

    return [Route("/tariffs", tariffs, methods=["GET", "POST"])]
