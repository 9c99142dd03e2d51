"""Operator endpoints: ``/ready`` (503 with the reasons), ``/metrics`` (Prometheus text),
``/status.json`` (what ``smsrelay status`` shows; loopback clients only), and the
``http_requests_total`` counting middleware. ``/health`` lives in ``api/app.py``.

This module knows HTTP and nothing of Prometheus or the database: ``bootstrap`` gives it
the callables that produce the answers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..services.operations import OperationsService
from ..services.ports import Metrics

__all__ = ["HttpMetricsMiddleware", "dialect_of", "routes"]

_JSON = "application/json"


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=_JSON)


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client is not None else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def routes(
    ops: OperationsService,
    render_metrics: Callable[[], Awaitable[tuple[bytes, str]]],
) -> list[BaseRoute]:
    async def ready(request: Request) -> Response:
        readiness = await ops.ready()
        return _json(readiness.as_json(), 200 if readiness.ready else 503)

    async def metrics(request: Request) -> Response:
        body, content_type = await render_metrics()
        return Response(body, media_type=content_type)

    async def status(request: Request) -> Response:
        if not _loopback(request):  # the status names connectors, hosts and errors
            return _json({"error": "status.json answers loopback clients only"}, 403)
        return _json(await ops.status())

    return [
        Route("/ready", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/status.json", status, methods=["GET"]),
    ]


_PREFIXES = (
    ("/json", "json"),
    ("/xml", "xml"),
    ("/sendsms.php", "get"),
    ("/ru/", "get"),
    ("/viber", "viber"),
    ("/health", "ops"),
    ("/ready", "ops"),
    ("/metrics", "ops"),
    ("/status.json", "ops"),
)


def dialect_of(path: str) -> str:
    for prefix, dialect in _PREFIXES:
        if path.startswith(prefix):
            return dialect
    return "other"


def _outcome(status: int) -> str:
    if status >= 500:
        return "error"
    if status >= 400:
        return "refused"
    return "ok"


class HttpMetricsMiddleware:
    """Counts each HTTP request by dialect and outcome (by the status code answered: 5xx
    error, 4xx refused, else ok — document errors answered with 200 count as ok)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            self._metrics.event("http", (dialect_of(scope.get("path", "")), _outcome(status)))
