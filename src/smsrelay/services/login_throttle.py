"""Brute-force limits: failed logins per account and per client address, and other attempts
counted per address (self-service registration).

Reusable by every door that checks a password or spends work for an anonymous peer: the three
HTTP dialects (through :class:`~smsrelay.services.auth.Authenticator`), G5 registration, the
web cabinet's and console's logins (``services/web_access.py``), and the coming SMPP server. A
caller asks :meth:`LoginThrottle.allows` *before* spending an argon2 hash and answers its own
protocol's authentication error when refused, so a throttled guess costs a dictionary lookup.

State is kept **per process**, in memory (a sliding window of failure times per key, bounded
in keys and in times per key). With several server processes an attacker gets the limit once
per process; that is still a fixed, small multiple and costs no database write per failed
login, which an attacker could otherwise use to load the database. See docs/security.md.

The client address of the current request travels in the :data:`CLIENT_ADDRESS` context
variable, set by the protocol adapter (an ASGI middleware for HTTP, the connection task for
SMPP), so use cases need no transport argument. IPv6 addresses are counted per /64 (one host
usually owns a whole /64).
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict, deque
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

from ..clock import Clock

__all__ = [
    "CLIENT_ADDRESS",
    "AttemptLimiter",
    "LoginThrottle",
    "ThrottleSettings",
    "address_key",
]

#: The peer address of the request being served (``None``: not known, e.g. the CLI).
CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("smsrelay_client_address", default=None)

#: Most keys remembered per limiter; the least recently touched are forgotten first.
MAX_KEYS: Final = 100_000


def address_key(address: str | None) -> str | None:
    """The key an address is counted under: an IPv4 address, an IPv6 /64, or the text as is."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class AttemptLimiter:
    """At most ``limit`` recorded attempts per key within any ``window`` seconds."""

    __slots__ = ("_clock", "_keys", "_limit", "_max_keys", "_window")

    def __init__(self, clock: Clock, limit: int, window: float, max_keys: int = MAX_KEYS) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit, window and max_keys must be positive")
        self._clock = clock
        self._limit = limit
        self._window = window
        self._max_keys = max_keys
        self._keys: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float] | None:
        times = self._keys.get(key)
        if times is None:
            return None
        horizon = self._clock.monotonic() - self._window
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            del self._keys[key]
            return None
        return times

    def blocked(self, key: str) -> bool:
        """True when ``key`` already used up its attempts in the current window."""
        times = self._recent(key)
        return times is not None and len(times) >= self._limit

    def record(self, key: str) -> None:
        times = self._recent(key)
        if times is None:
            times = self._keys[key] = deque(maxlen=self._limit)
            while len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(key)
        times.append(self._clock.monotonic())

    def clear(self, key: str) -> None:
        self._keys.pop(key, None)


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    """Failed logins allowed per ``window_seconds``: per account login and per client address."""

    account_failures: int = 10
    address_failures: int = 50
    window_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.account_failures < 1 or self.address_failures < 1 or self.window_seconds <= 0:
            raise ValueError("login throttle limits must be positive")


class LoginThrottle:
    """Failed-login counters per account and per client address (see module docstring).

    A success clears the account's counter (not the address's: one valid account must not
    reset the count of an address guessing others).
    """

    __slots__ = ("_accounts", "_addresses")

    def __init__(self, clock: Clock, settings: ThrottleSettings | None = None) -> None:
        s = settings or ThrottleSettings()
        self._accounts = AttemptLimiter(clock, s.account_failures, s.window_seconds)
        self._addresses = AttemptLimiter(clock, s.address_failures, s.window_seconds)

    @staticmethod
    def _login_key(login: str | None) -> str | None:
        return None if login is None else login.casefold()[:256]

    def allows(self, login: str | None, address: str | None = None) -> bool:
        """False when the login or the address is over its limit: refuse without hashing."""
        if address is None:
            address = CLIENT_ADDRESS.get()
        login_key, address_k = self._login_key(login), address_key(address)
        if login_key is not None and self._accounts.blocked(login_key):
            return False
        return address_k is None or not self._addresses.blocked(address_k)

    def failed(self, login: str | None, address: str | None = None) -> None:
        if address is None:
            address = CLIENT_ADDRESS.get()
        login_key, address_k = self._login_key(login), address_key(address)
        if login_key is not None:
            self._accounts.record(login_key)
        if address_k is not None:
            self._addresses.record(address_k)

    def succeeded(self, login: str | None) -> None:
        login_key = self._login_key(login)
        if login_key is not None:
            self._accounts.clear(login_key)
