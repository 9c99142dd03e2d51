"""``POST /viber/callback/{connector}``: a Viber provider's status callbacks.

Not a Webcom endpoint: the provider calls it (``docs/viber.md``). The body is handed raw to
the :class:`~smsrelay.services.cascade.ViberCallbacks` port (the connector verifies the
signature and parses); this module only bounds the body and maps the verdict to HTTP.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..services.cascade import CallbackVerdict, ViberCallbacks

__all__ = ["MAX_CALLBACK_BODY", "routes"]

MAX_CALLBACK_BODY: Final = 256 * 1024

_STATUS: Final = {
    CallbackVerdict.ACCEPTED: 200,
    CallbackVerdict.UNKNOWN_CONNECTOR: 404,
    CallbackVerdict.BAD_SIGNATURE: 403,
    CallbackVerdict.BAD_BODY: 400,
    CallbackVerdict.UNAVAILABLE: 503,
}


def routes(callbacks: ViberCallbacks, max_body: int = MAX_CALLBACK_BODY) -> list[BaseRoute]:
    async def callback(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > max_body:
            return JSONResponse({"error": "body too large"}, status_code=413)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_body:
                    return JSONResponse({"error": "body too large"}, status_code=413)
        except ClientDisconnect:
            return Response(status_code=400)
        verdict = await callbacks.callback(
            request.path_params["connector"], bytes(body), request.headers
        )
        return JSONResponse({"result": verdict.value}, status_code=_STATUS[verdict])

    return [Route("/viber/callback/{connector}", callback, methods=["POST"])]
