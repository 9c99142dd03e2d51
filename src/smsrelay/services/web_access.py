"""Use cases of web access: operators, browser sessions, the audit log, login throttling.

* **Operators** are the console's users (``/admin/``), never client accounts: a name, an
  argon2 password hash and a role. ``smsrelay operator create`` makes them.
* **Sessions** live server-side: the browser holds a random id (signed by the web adapter),
  the table holds only its SHA-256, who it belongs to (``client`` account or ``operator``),
  its CSRF token and when it ends. A client's session can never open the console: the kind
  is checked on every lookup, and the two sides use different cookies.
* **Audit**: every operator action is one row (who, what, on what, when).
* **Throttle**: failed logins per login and per address within a window, counted by the
  API's :class:`~smsrelay.services.login_throttle.LoginThrottle` (one instance per side, so
  client and operator keys stay apart); when exceeded the login is refused before a password
  is checked (no hash spent).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from ..clock import Clock
from .auth import hash_password, verify_password
from .login_throttle import LoginThrottle, ThrottleSettings

__all__ = [
    "WEB_THROTTLE",
    "AuditEntry",
    "Operator",
    "OperatorError",
    "SessionKind",
    "WebAccessService",
    "WebAccessStore",
    "WebSession",
]

SESSION_TTL: Final = timedelta(hours=12)
MAX_NAME: Final = 64


class OperatorError(Exception):
    """An operator command cannot be carried out (one line for the CLI)."""


class SessionKind(enum.StrEnum):
    CLIENT = "client"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    name: str
    role: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class WebSession:
    kind: SessionKind
    subject_id: int  # account id or operator id
    csrf: str
    expires_at: datetime
    lang: str  # interface language chosen at login or in settings ("ru" | "en")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    operator: str
    action: str
    target: str
    detail: str


class WebAccessStore(Protocol):
    async def create_operator(self, name: str, password_hash: str, role: str, now: datetime) -> int:
        """Raises ``LookupError`` if the name is taken."""
        ...

    async def find_operator(self, name: str) -> Operator | None: ...
    async def get_operator(self, operator_id: int) -> Operator | None: ...
    async def count_operators(self) -> int: ...

    async def add_session(self, key: bytes, session: WebSession, now: datetime) -> None: ...
    async def get_session(self, key: bytes) -> WebSession | None: ...
    async def set_session_lang(self, key: bytes, lang: str) -> None: ...
    async def get_account_lang(self, account_id: int) -> str | None: ...
    async def set_account_lang(self, account_id: int, lang: str, now: datetime) -> None: ...
    async def drop_session(self, key: bytes) -> None: ...
    async def prune_sessions(self, now: datetime) -> int: ...

    async def audit(
        self, operator_id: int, action: str, target: str, detail: str, now: datetime
    ) -> None: ...
    async def audit_page(self, before: int | None, limit: int) -> list[AuditEntry]: ...


def session_key(session_id: str) -> bytes:
    """What the table keeps of a session id: its SHA-256 (a leaked table opens nothing)."""
    return hashlib.sha256(session_id.encode()).digest()


#: The web logins' limits: 5 failures per login, 50 per address, within 5 minutes.
WEB_THROTTLE: Final = ThrottleSettings(account_failures=5, address_failures=50, window_seconds=300)


class WebAccessService:
    def __init__(
        self, store: WebAccessStore, clock: Clock, throttle: ThrottleSettings = WEB_THROTTLE
    ):
        self._store = store
        self._clock = clock
        # one implementation with the API (services/login_throttle.py), one counter set per
        # side: a client's failures never lock an operator of the same name, nor the reverse
        self.client_throttle = LoginThrottle(clock, throttle)
        self.operator_throttle = LoginThrottle(clock, throttle)

    # --- operators ---------------------------------------------------------------------------

    async def create_operator(self, name: str, password: str, role: str = "admin") -> int:
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise OperatorError(f"operator name must be 1..{MAX_NAME} printable characters")
        if len(password) < 8:
            raise OperatorError("operator password must have at least 8 characters")
        if role not in ("admin", "viewer"):
            raise OperatorError("role must be admin or viewer")
        password_hash = await asyncio.to_thread(hash_password, password)
        try:
            return await self._store.create_operator(name, password_hash, role, self._clock.now())
        except LookupError as exc:
            raise OperatorError(f"operator {name!r} already exists") from exc

    async def count_operators(self) -> int:
        return await self._store.count_operators()

    async def check_operator(self, name: str, password: str) -> Operator | None:
        op = await self._store.find_operator(name)
        if op is None:
            await asyncio.to_thread(hash_password, password)  # same cost: no name probing
            return None
        ok = await asyncio.to_thread(verify_password, op.password_hash, password)
        return op if ok else None

    async def operator(self, operator_id: int) -> Operator | None:
        return await self._store.get_operator(operator_id)

    # --- sessions ----------------------------------------------------------------------------

    async def open_session(self, kind: SessionKind, subject_id: int, lang: str) -> str:
        """A new session; returns its id (for the cookie)."""
        now = self._clock.now()
        session_id = secrets.token_urlsafe(32)
        session = WebSession(kind, subject_id, secrets.token_urlsafe(24), now + SESSION_TTL, lang)
        await self._store.add_session(session_key(session_id), session, now)
        return session_id

    async def session(self, session_id: str, kind: SessionKind) -> WebSession | None:
        """The live session of that kind, or None (unknown, expired, or the other kind)."""
        found = await self._store.get_session(session_key(session_id))
        if found is None or found.kind is not kind or found.expires_at <= self._clock.now():
            return None
        return found

    async def set_lang(self, session_id: str, lang: str) -> None:
        await self._store.set_session_lang(session_key(session_id), lang)

    async def account_lang(self, account_id: int) -> str | None:
        """The cabinet language an account chose (kept across sessions), if any. Not the
        account's API ``lang``, which chooses the language of API errors."""
        return await self._store.get_account_lang(account_id)

    async def save_account_lang(self, account_id: int, lang: str) -> None:
        await self._store.set_account_lang(account_id, lang, self._clock.now())

    async def close_session(self, session_id: str) -> None:
        await self._store.drop_session(session_key(session_id))

    # --- audit -------------------------------------------------------------------------------

    async def audit(self, operator_id: int, action: str, target: str, detail: str = "") -> None:
        await self._store.audit(operator_id, action, target[:200], detail[:500], self._clock.now())

    async def audit_page(self, before: int | None = None, limit: int = 100) -> list[AuditEntry]:
        return await self._store.audit_page(before, limit)
