"""Login, logout and the language switch of both sides, the client cabinet (``/lk/``) and the
operator console (``/admin/``): one flow, told apart by a :class:`LoginSide`.

A POST must carry the signed one-time token of the form it came from (CSRF on login); the
side's login throttle (``services/login_throttle.py``) is asked before any password is
checked, so a throttled login spends no hash; a good login opens a session of the side's
kind and sets the side's session cookie. Anything else shows the form again, with the
reason, answered 401.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..services.login_throttle import LoginThrottle
from ..services.web_access import SessionKind
from .context import WebContext
from .pages import Handler, PageContext, redirect
from .security import SideCookies, new_login_token

__all__ = ["LoginSide", "client_ip", "lang_handler", "login_endpoint", "logout_handler"]

#: ``(login, password, client address, language)`` -> the session's subject id and language,
#: or None when the login or password is wrong.
Check = Callable[[str, str, str, str], Awaitable[tuple[int, str] | None]]


@dataclass(frozen=True, slots=True)
class LoginSide:
    cookies: SideCookies  # security.CLIENT or security.OPERATOR
    kind: SessionKind
    home: str  # where a good login goes: "/lk/", "/admin/"
    name: str  # the templates' ``side``: "lk", "admin"
    title: str
    throttle: LoginThrottle
    check: Check


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


def login_endpoint(web: WebContext, side: LoginSide) -> Callable[[Request], Awaitable[Response]]:
    access = web.services.access

    async def login(request: Request) -> Response:
        lang = request.query_params.get("lang", "")
        lang = lang if lang in ("ru", "en") else web.settings.default_lang
        error = ""
        if request.method == "POST":
            form = await request.form(max_files=0, max_fields=10)
            lang = str(form.get("lang", lang)) if form.get("lang") in ("ru", "en") else lang
            name = str(form.get("login", ""))[:64]
            password = str(form.get("password", ""))[:256]
            keys = (name, client_ip(request))
            if not web.signer.login_token_ok(request, str(form.get("csrf", ""))):
                error = "Session expired, please try again"
            elif not side.throttle.allows(*keys):
                error = "Too many attempts, try again in a few minutes"
            else:
                found = await side.check(name, password, keys[1], lang)
                if found is None:
                    side.throttle.failed(*keys)
                    error = "Wrong login or password"
                else:
                    side.throttle.succeeded(keys[0])
                    subject_id, lang = found
                    sid = await access.open_session(side.kind, subject_id, lang)
                    response = redirect(side.home)
                    web.signer.set_session(response, side.cookies, sid)
                    return response
        token = new_login_token()
        response = web.renderer.render(
            "login.html",
            lang,
            status_code=200 if not error else 401,
            side=side.name,
            csrf=token,
            error=error,
            title=side.title,
        )
        web.signer.set_login_token(response, side.cookies, token)
        return response

    return login


def logout_handler(web: WebContext, side: LoginSide) -> Handler:
    """The session ends; the side's login page follows."""

    async def logout(ctx: PageContext) -> Response:
        await web.services.access.close_session(ctx.session_id)
        response = redirect(f"{side.home}login")
        web.signer.clear_session(response, side.cookies)
        return response

    return logout


def lang_handler(
    web: WebContext, side: LoginSide, remember: Callable[[PageContext, str], Awaitable[None]] | None
) -> Handler:
    """The session's language (and, with ``remember``, the subject's for the next logins);
    back to the page it came from, on this side only."""

    async def set_lang(ctx: PageContext) -> Response:
        lang = str(ctx.form.get("lang", ""))
        if lang in ("ru", "en"):
            await web.services.access.set_lang(ctx.session_id, lang)
            if remember is not None:
                await remember(ctx, lang)
        back = str(ctx.form.get("back", side.home))
        return redirect(back if back.startswith(side.home) else side.home)

    return set_lang
