"""Pure ASGI middleware: the peer address of each HTTP request, for the throttles.

Sets :data:`smsrelay.services.login_throttle.CLIENT_ADDRESS` for the request's task, so the
login throttle and the registration limit count per client address without every dialect
passing the address down. The address is the one uvicorn puts in the ASGI scope: the socket's
peer, or ``X-Forwarded-For`` when the peer is a trusted proxy (uvicorn's ``proxy_headers``,
trusted from ``127.0.0.1`` only by default; docs/security.md).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..services.login_throttle import CLIENT_ADDRESS

__all__ = ["ClientAddressMiddleware"]


class ClientAddressMiddleware:
    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = CLIENT_ADDRESS.set(str(client[0]) if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT_ADDRESS.reset(token)
