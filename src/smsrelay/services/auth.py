"""Authentication by token or login + password, with a short-lived cache.

Password hashes are argon2 (slow on purpose): a successful check is remembered for a second
(``ttl``) keyed by a SHA-256 of the credentials, so a client sending thousands of requests per
second costs one hash check per second, not one per request. The send transaction re-reads the
account's ``locked`` flag, so a lock takes effect on sending at once whatever the cache says.

Against guessing (docs/security.md): failed logins are counted per login and per client address
by a :class:`~smsrelay.services.login_throttle.LoginThrottle`; over the limit a login is
refused with the usual credentials error *before* any hash is spent. A pair already proven
correct stays accepted during a throttle (knowing the password is not guessing it), so an
attacker cannot lock a working client out. An unknown login is checked against a dummy hash
made with the same parameters, so it costs what a wrong password costs (no enumeration by
timing).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.errors import DocumentError, DocumentErrorCode
from .commands import Credentials
from .login_throttle import LoginThrottle
from .ports import AccountRecord, AccountStore

__all__ = ["Authenticator", "hash_password", "new_token"]

_HASHER = PasswordHasher()
_MAX_CACHE = 100_000


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password with the live parameters: what an unknown login costs."""
    return hash_password(secrets.token_hex(16))


def new_token() -> str:
    return secrets.token_hex(20)


def _key(kind: str, *parts: str) -> bytes:
    h = hashlib.sha256(kind.encode())
    for p in parts:
        h.update(b"\x00" + p.encode("utf-8", "surrogatepass"))
    return h.digest()


class Authenticator:
    """Authenticates with two memories, so argon2 runs once per password, not per request:

    * ``_fresh``: the account snapshot per credential, for ``ttl`` seconds (1 s by default);
    * ``_verified``: which password hash a (login, password) pair was proven against, for
      ``verified_ttl`` seconds. When the snapshot expires the account row is read again (one
      cheap query) and argon2 runs only if the stored hash changed.

    Concurrent requests with the same credentials share one check (single flight), so a cache
    expiry under load never starts 50 hash computations at once.
    """

    def __init__(
        self,
        accounts: AccountStore,
        clock: Clock,
        ttl: float = 1.0,
        verified_ttl: float = 600.0,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self._accounts = accounts
        self._throttle = throttle or LoginThrottle(clock)
        self._clock = clock
        self._ttl = ttl
        self._verified_ttl = verified_ttl
        self._fresh: dict[bytes, tuple[float, Account]] = {}
        self._verified: dict[bytes, tuple[float, str]] = {}
        self._inflight: dict[bytes, asyncio.Future[Account]] = {}

    def forget(self) -> None:
        self._fresh.clear()
        self._verified.clear()

    async def authenticate(self, credentials: Credentials) -> Account:
        if credentials.token:
            key = _key("t", credentials.token)
        elif credentials.login and credentials.password is not None:
            key = _key("p", credentials.login, credentials.password)
        else:
            raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)
        now = self._clock.monotonic()
        hit = self._fresh.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[Account] = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            account = await self._check(key, credentials, now)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved: waiters re-raise it
            raise
        else:
            fut.set_result(account)
            if self._ttl > 0:
                _bounded(self._fresh)[key] = (now + self._ttl, account)
            return account
        finally:
            del self._inflight[key]

    async def _check(self, key: bytes, credentials: Credentials, now: float) -> Account:
        record: AccountRecord | None
        throttle = self._throttle
        if credentials.token:
            if not throttle.allows(None):
                raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)
            record = await self._accounts.find_by_token(credentials.token)
            if (
                record is None
                or record.token is None
                or not secrets.compare_digest(record.token, credentials.token)
            ):
                throttle.failed(None)
                raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)
            return record.account
        login, password = credentials.login, credentials.password
        assert login is not None and password is not None
        record = await self._accounts.find_by_login(login)
        proven = self._verified.get(key)
        if (
            record is not None
            and proven is not None
            and proven[0] > now
            and proven[1] == record.password_hash
        ):
            return record.account
        if not throttle.allows(login):
            raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)  # no hash spent
        stored = record.password_hash if record is not None else _dummy_hash()
        ok = await asyncio.to_thread(verify_password, stored, password)
        if record is None or not ok:
            throttle.failed(login)
            raise DocumentError(DocumentErrorCode.BAD_CREDENTIALS)
        throttle.succeeded(login)
        if self._verified_ttl > 0:
            _bounded(self._verified)[key] = (now + self._verified_ttl, record.password_hash)
        return record.account


def _bounded(cache: dict[bytes, Any]) -> dict[bytes, Any]:
    if len(cache) >= _MAX_CACHE:
        cache.clear()
    return cache
