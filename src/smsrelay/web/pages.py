"""What every page of both sides shares: the template environment, the per-request context,
login guards with CSRF checks, and rendering with security headers.

Templates are Jinja2 with autoescaping on for every file: anything a client or a carrier
wrote (message text, sender names, MO texts, comments) is escaped wherever it appears; only
the server-drawn SVG charts are passed as ``Markup``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..domain.money import Money
from ..services.web_access import SessionKind, WebSession
from .i18n import LANGS, translate
from .security import CookieSigner, SideCookies, csrf_ok

__all__ = ["Page", "PageContext", "Renderer", "guarded"]

_HERE = Path(__file__).parent
MAX_FORM_BYTES = 2 * 1024 * 1024
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def money(value: Money | None, places: int = 2) -> str:
    if value is None:
        return "—"
    text = value.format(places)
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + "\u202f".join(groups) + ("." + frac if frac else "")


def number(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", "\u202f")
    return f"{value:,}".replace(",", "\u202f")


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["number"] = number
    return env


@dataclass
class PageContext:
    """One request of a logged-in user (client or operator)."""

    request: Request
    session_id: str
    session: WebSession
    lang: str
    subject: Any = None  # the Account or the Operator
    form: FormData = field(default_factory=FormData)

    def t(self, text: str) -> str:
        return translate(text, self.lang)


class Renderer:
    def __init__(self, signer: CookieSigner) -> None:
        self.env = _env()
        self.signer = signer

    def render(
        self,
        template: str,
        lang: str,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(
            t=lambda s: translate(s, lang), lang=lang, langs=LANGS, **values
        )
        return HTMLResponse(
            html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
        )


Handler = Callable[[PageContext], Awaitable[Response]]
Loader = Callable[[WebSession], Awaitable[Any]]
SessionGetter = Callable[[str, SessionKind], Awaitable[WebSession | None]]
Endpoint = Callable[[Request], Awaitable[Response]]
PageMaker = Callable[[Handler], Endpoint]  # a :class:`Page` or a side's wrapper around one


class Render(Protocol):
    """A side's page renderer: the template with that side's common values."""

    def __call__(self, ctx: PageContext, template: str, active: str, **values: Any) -> Response: ...


@dataclass(frozen=True)
class Page:
    """Builds endpoints for one side: session from its cookie, the subject loaded, CSRF
    checked on every non-GET request, the login page for everyone else."""

    side: SideCookies
    kind: SessionKind
    signer: CookieSigner
    sessions: SessionGetter
    load_subject: Loader

    def __call__(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        return guarded(self, handler)


def guarded(page: Page, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        session_id = page.signer.session_id(request, page.side)
        session = await page.sessions(session_id, page.kind) if session_id else None
        if session is None or session_id is None:
            return _to_login(request, page.side)
        subject = await page.load_subject(session)
        if subject is None:
            return _to_login(request, page.side)
        form = FormData()
        if request.method != "GET":
            declared = request.headers.get("content-length", "0")
            if not declared.isdigit() or int(declared) > MAX_FORM_BYTES + 64 * 1024:
                return Response("request too large", status_code=413)
            form = await request.form(max_files=2, max_fields=200, max_part_size=MAX_FORM_BYTES)
            token = request.headers.get("x-csrf-token") or form.get("csrf")
            if not csrf_ok(session.csrf, token if isinstance(token, str) else None):
                return Response("CSRF token missing or wrong", status_code=403)
        ctx = PageContext(request, session_id, session, session.lang, subject, form)
        return await handler(ctx)

    return endpoint


def _to_login(request: Request, side: SideCookies) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": f"{side.path}/login"})
    return RedirectResponse(f"{side.path}/login", status_code=303)


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def parse_local(value: str) -> datetime | None:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` from a form; None when empty or unreadable."""
    value = (value or "").strip()[:20]
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
