"""The web side's routes, mounted by ``bootstrap`` into the API's ASGI application:

* ``/lk/...``     the client cabinet (``cabinet.py``)
* ``/admin/...``  the operator console (``console.py``)
* ``/web-static/`` the stylesheet, htmx and the small script, served from the package
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .cabinet import cabinet_routes
from .console import console_routes
from .context import WebContext, WebServices, WebSettings
from .pages import Renderer
from .security import CookieSigner

__all__ = ["WebServices", "WebSettings", "web_routes"]

_STATIC = Path(__file__).parent / "static"


def web_routes(services: WebServices, settings: WebSettings) -> list[BaseRoute]:
    signer = CookieSigner(settings.secret, secure=settings.secure_cookies)
    web = WebContext(services, settings, signer, Renderer(signer))

    async def to_cabinet(_request: object) -> Response:
        return RedirectResponse("/lk/", status_code=307)

    async def to_console(_request: object) -> Response:
        return RedirectResponse("/admin/", status_code=307)

    return [
        Route("/lk", to_cabinet, methods=["GET"]),
        Route("/admin", to_console, methods=["GET"]),
        Mount("/lk", routes=cabinet_routes(web)),
        Mount("/admin", routes=console_routes(web)),
        Mount("/web-static", app=StaticFiles(directory=_STATIC), name="web-static"),
    ]
