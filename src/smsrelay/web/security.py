"""Cookies, sessions and CSRF for the web side.

* The cookie holds ``<session id>.<HMAC-SHA256 of it>``: a tampered or invented value is
  refused before the database is asked. The session itself lives server-side
  (``services.web_access``), so logout and expiry are real.
* Clients and operators use different cookies (``lk_session`` with ``Path=/lk``,
  ``op_session`` with ``Path=/admin``), and each session row names its kind: a client's
  session presented to the console opens nothing.
* Cookies are ``HttpOnly`` and ``SameSite=Lax`` (``Secure`` when the site is served over
  HTTPS, see ``secure_cookies``).
* CSRF: every state-changing request carries the session's token (form field ``csrf`` or
  header ``X-CSRF-Token`` for htmx) compared in constant time. The login forms, before any
  session exists, use a double-submit token: a random cookie and the same value in the form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["CookieSigner", "SideCookies", "csrf_ok", "new_login_token"]

PRE_COOKIE: Final = "web_pre"  # the login form's double-submit token
SESSION_SECONDS: Final = 12 * 3600


@dataclass(frozen=True, slots=True)
class SideCookies:
    """The cookie of one side (cabinet or console)."""

    name: str
    path: str


CLIENT: Final = SideCookies("lk_session", "/lk")
OPERATOR: Final = SideCookies("op_session", "/admin")


class CookieSigner:
    def __init__(self, secret: bytes, secure: bool = False) -> None:
        if len(secret) < 16:
            raise ValueError("web secret must be at least 16 bytes")
        self._secret = secret
        self.secure = secure

    def _mac(self, value: str) -> str:
        return hmac.new(self._secret, value.encode(), hashlib.sha256).hexdigest()

    def sign(self, value: str) -> str:
        return f"{value}.{self._mac(value)}"

    def unsign(self, signed: str | None) -> str | None:
        if not signed or len(signed) > 200 or "." not in signed:
            return None
        value, mac = signed.rsplit(".", 1)
        return value if hmac.compare_digest(mac, self._mac(value)) else None

    def session_id(self, request: Request, side: SideCookies) -> str | None:
        return self.unsign(request.cookies.get(side.name))

    def set_session(self, response: Response, side: SideCookies, session_id: str) -> None:
        response.set_cookie(
            side.name,
            self.sign(session_id),
            max_age=SESSION_SECONDS,
            path=side.path,
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def clear_session(self, response: Response, side: SideCookies) -> None:
        response.delete_cookie(
            side.name, path=side.path, httponly=True, samesite="lax", secure=self.secure
        )

    def set_login_token(self, response: Response, side: SideCookies, token: str) -> None:
        response.set_cookie(
            PRE_COOKIE,
            self.sign(token),
            max_age=3600,
            path=side.path,
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def login_token_ok(self, request: Request, submitted: str) -> bool:
        expected = self.unsign(request.cookies.get(PRE_COOKIE))
        return expected is not None and csrf_ok(expected, submitted)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(expected: str, submitted: str | None) -> bool:
    if not submitted or len(submitted) > 200:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
