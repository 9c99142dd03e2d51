"""Status webhooks (J3/X3/W6): per-account settings, their use cases and the SSRF guard.

A client gets each client-visible status change of its messages POSTed to its URL (the
durable outbox and the pusher live in ``store/webhooks.py`` and ``delivery/webhooks.py``).
This module owns what a webhook IS (:class:`WebhookConfig`), where it may point
(:class:`AddressPolicy`, :class:`UrlGuard`: scheme and resolved addresses, checked when the URL
is set AND before every push, since DNS can change) and the use cases the CLI and W6 call.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from ..clock import Clock
from ..domain.accounts import Account
from ..domain.messages import Channel
from ..domain.status import MessageStatus

__all__ = [
    "MAX_URL_CHARS",
    "AddressPolicy",
    "AttemptRecord",
    "PendingPush",
    "PushBatch",
    "PushItem",
    "PushOutcome",
    "ResolvedUrl",
    "Resolver",
    "UrlGuard",
    "WebhookConfig",
    "WebhookFormat",
    "WebhookOutbox",
    "WebhookOverview",
    "WebhookRefused",
    "WebhookService",
    "WebhookStore",
    "XmlRoot",
    "effective_address",
    "system_resolver",
]

#: Longest URL accepted (W6 body, CLI): bounded like every client input.
MAX_URL_CHARS = 2048
MAX_SECRET_CHARS = 256

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebhookRefused(ValueError):
    """A webhook URL that may not be used (bad form, scheme, or a refused address)."""


class WebhookFormat(enum.StrEnum):
    JSON = "json"  # J3
    XML = "xml"  # X3


class XmlRoot(enum.StrEnum):
    """X3 push document root: Webcom's ``response`` or the [WL] ``request`` (spec §8 item 10)."""

    RESPONSE = "response"
    REQUEST = "request"


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    format: WebhookFormat = WebhookFormat.JSON
    secret: str | None = None  # set: sign every POST (X-Smsrelay-Signature)
    xml_root: XmlRoot = XmlRoot.RESPONSE

    def __post_init__(self) -> None:
        check_url_form(self.url)
        if self.secret is not None and not 0 < len(self.secret) <= MAX_SECRET_CHARS:
            raise WebhookRefused(f"secret must be 1..{MAX_SECRET_CHARS} characters")


def check_url_form(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; raises :class:`WebhookRefused` otherwise."""
    if not url or len(url) > MAX_URL_CHARS:
        raise WebhookRefused(f"URL must be 1..{MAX_URL_CHARS} characters")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise WebhookRefused("URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused("not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookRefused("only http:// and https:// URLs are allowed")
    host = parts.hostname
    if not host:
        raise WebhookRefused("URL has no host")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("URL must not carry credentials")
    return scheme, host, port or (443 if scheme == "https" else 80)


def _networks(text: str | Sequence[str]) -> tuple[IpNetwork, ...]:
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(ipaddress.ip_network(i.strip(), strict=False) for i in items if i.strip())


_THIS_NETWORK_V4 = ipaddress.ip_network("0.0.0.0/8")
_LOOPBACK_V4 = ipaddress.ip_address("127.0.0.1")
_LOOPBACK_V6 = ipaddress.ip_address("::1")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def effective_address(address: IpAddress) -> IpAddress:
    """The address a connection to ``address`` really reaches, for the policy.

    IPv6 forms that carry an IPv4 address (mapped ``::ffff:a.b.c.d``, compatible ``::a.b.c.d``,
    6to4 ``2002:AABB:CCDD::``, Teredo, NAT64 ``64:ff9b::a.b.c.d``) count as that IPv4; the
    unspecified addresses (``0.0.0.0`` and all of ``0.0.0.0/8``, ``::``) reach this host, so
    they count as loopback.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None:
            address = address.sixtofour
        elif address.teredo is not None:
            address = address.teredo[1]
        elif address in _NAT64:  # 64:ff9b::a.b.c.d, translated by a NAT64 gateway
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        elif address.is_unspecified:
            return _LOOPBACK_V6
        elif 1 < int(address) < 2**32:  # deprecated IPv4-compatible ::a.b.c.d
            address = ipaddress.IPv4Address(int(address))
    if isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK_V4:
        return _LOOPBACK_V4
    return address


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which addresses a webhook may reach (docs/security.md, docs/webhooks.md):

    1. refused if in ``deny`` (it wins over everything);
    2. an internal address (anything not globally routable: loopback, private, link-local,
       shared/CGN, reserved, unspecified) is refused unless ``allow_private`` or an explicit
       ``allow`` network contains it;
    3. otherwise allowed when ``allow`` is empty or contains it.

    Every check runs on :func:`effective_address` (embedded IPv4, unspecified = loopback).
    """

    allow: tuple[IpNetwork, ...] = ()
    deny: tuple[IpNetwork, ...] = ()
    allow_private: bool = False

    @classmethod
    def parse(
        cls, allow: str | Sequence[str], deny: str | Sequence[str], allow_private: bool = False
    ) -> AddressPolicy:
        """From comma-separated CIDR text (the ``webhook_allow``/``webhook_deny`` settings)."""
        return cls(_networks(allow), _networks(deny), allow_private)

    def permits(self, address: IpAddress) -> bool:
        address = effective_address(address)
        if any(address.version == n.version and address in n for n in self.deny):
            return False
        listed = any(address.version == n.version and address in n for n in self.allow)
        if not address.is_global and not (self.allow_private or listed):
            return False
        return listed or not self.allow


#: host, port -> the addresses it resolves to (text form).
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise WebhookRefused(f"cannot resolve host: {exc.strerror or exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class ResolvedUrl:
    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]  # every one allowed; connect to these, never re-resolve


class UrlGuard:
    """Checks a URL's scheme and EVERY address its host resolves to against the policy."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver = system_resolver) -> None:
        self._policy = policy
        self._resolve = resolver

    async def check(self, url: str) -> ResolvedUrl:
        scheme, host, port = check_url_form(url)
        try:
            literal: IpAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        found = [str(literal)] if literal is not None else await self._resolve(host, port)
        if not found:
            raise WebhookRefused("host resolves to no address")
        for text in found:
            try:
                address = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError:
                raise WebhookRefused("host resolves to something that is not an address") from None
            if not self._policy.permits(address):
                raise WebhookRefused(f"address {address} is not allowed for webhooks")
        return ResolvedUrl(url, scheme, host, port, tuple(found))


# --- storage port ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingPush:
    """One outbox row as ``webhook show`` lists it."""

    id_sms: int
    status: MessageStatus
    state: str  # pending | sending | failed
    attempts: int
    next_at: datetime | None
    last_result: str | None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One POST as the attempt history keeps it."""

    delivery_id: str
    attempt: int
    at: datetime
    http_status: int | None
    error: str | None
    sent: int
    acked: int


@dataclass(frozen=True, slots=True)
class WebhookOverview:
    config: WebhookConfig | None
    pushes: list[PendingPush]  # pending and failed, oldest first
    delivered: int  # pushes acknowledged by the client (kept ones)
    attempts: list[AttemptRecord]  # latest POSTs, newest first


@dataclass(frozen=True, slots=True)
class PushItem:
    """One status to push (an outbox row)."""

    outbox_id: int
    message_id: int
    status: MessageStatus
    at: datetime | None  # when the status changed (UTC)
    channel: Channel
    attempts: int  # including the one being made


@dataclass(frozen=True, slots=True)
class PushBatch:
    """Statuses of one account claimed together: one POST (retried with the same id)."""

    account_id: int
    delivery_id: str  # X-Smsrelay-Delivery
    claim_token: str
    config: WebhookConfig
    tz_offset_hours: int
    items: tuple[PushItem, ...]

    @property
    def attempt(self) -> int:
        return max(i.attempts for i in self.items)


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What one POST achieved: the message ids the client echoed back, or why none."""

    batch: PushBatch
    acked: frozenset[int] = frozenset()
    http_status: int | None = None
    error: str | None = None  # timeout, connection refused, refused address...

    def describe(self) -> str:
        head = f"HTTP {self.http_status}" if self.http_status is not None else ""
        tail = self.error or ""
        acked = sum(1 for i in self.batch.items if i.message_id in self.acked)
        if self.http_status is not None and not self.error:
            tail = f"{acked} of {len(self.batch.items)} acked"
        return ": ".join(p for p in (head, tail) if p)


class WebhookOutbox(Protocol):
    """The durable outbox, worked off by state with a lease (the pusher's port)."""

    async def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        batch_size: int,
        exclude_accounts: Sequence[int] = (),
    ) -> list[PushBatch]: ...

    async def record(
        self,
        outcomes: Sequence[PushOutcome],
        now: datetime,
        max_attempts: int,
        backoff: timedelta,
    ) -> None:
        """Acked -> delivered; the rest back to pending after a backoff, or failed after
        ``max_attempts``; one attempt row per POST."""
        ...

    async def release(self, batches: Sequence[PushBatch], now: datetime) -> None:
        """Claimed but never POSTed (shutting down): pending again, the attempt not counted."""
        ...

    async def prune(self, before: datetime) -> int: ...


class WebhookStore(Protocol):
    async def get_webhook(self, account_id: int) -> WebhookConfig | None: ...
    async def set_webhook(self, account_id: int, config: WebhookConfig, now: datetime) -> None: ...
    async def remove_webhook(self, account_id: int, now: datetime) -> None:
        """Delete the setting; pushes not yet delivered are dropped."""
        ...

    async def overview(self, account_id: int, limit: int) -> tuple[list[PendingPush], int]: ...
    async def attempts(self, account_id: int, limit: int) -> list[AttemptRecord]: ...


# --- use cases ---------------------------------------------------------------------------------


class WebhookService:
    """Set, read and inspect an account's webhook (the CLI and W6 ``get_state.php``)."""

    def __init__(self, store: WebhookStore, guard: UrlGuard, clock: Clock) -> None:
        self._store = store
        self._guard = guard
        self._clock = clock
        self._tester: Callable[[PushBatch], Awaitable[PushOutcome]] | None = None

    def attach_tester(self, tester: Callable[[PushBatch], Awaitable[PushOutcome]]) -> None:
        """The pusher's one-POST path (``WebhookPusher.push_test``), wired by ``bootstrap``."""
        self._tester = tester

    async def send_test(self, account: Account) -> PushOutcome | None:
        """POST one test status (message id 0, delivered, now) to the configured URL through
        the pusher (same payload, signature and SSRF guard); not queued, not recorded. None
        when no webhook is set (or no pusher is wired)."""
        config = await self._store.get_webhook(account.id)
        if config is None or self._tester is None:
            return None
        item = PushItem(0, 0, MessageStatus.DELIVERED, self._clock.now(), Channel.SMS, 1)
        batch = PushBatch(
            account.id,
            f"test-{uuid.uuid4().hex}",
            "",
            config,
            account.tz_offset_hours,
            (item,),
        )
        return await self._tester(batch)

    async def get(self, account: Account) -> WebhookConfig | None:
        return await self._store.get_webhook(account.id)

    async def set(
        self,
        account: Account,
        url: str,
        *,
        format: WebhookFormat | None = None,
        secret: str | None = None,
        xml_root: XmlRoot | None = None,
    ) -> WebhookConfig | None:
        """Set the URL (checked now: form, scheme, resolved addresses). Options left None keep
        their current value (for a new webhook: JSON, unsigned, ``response`` root); an empty
        ``secret`` turns signing off. An empty URL removes the webhook and returns None."""
        url = url.strip()
        if not url:
            await self._store.remove_webhook(account.id, self._clock.now())
            return None
        current = await self._store.get_webhook(account.id)
        config = WebhookConfig(
            url=url,
            format=format or (current.format if current else WebhookFormat.JSON),
            secret=(secret if secret is not None else (current.secret if current else None))
            or None,
            xml_root=xml_root or (current.xml_root if current else XmlRoot.RESPONSE),
        )
        await self._guard.check(url)
        await self._store.set_webhook(account.id, config, self._clock.now())
        return config

    async def remove(self, account: Account) -> None:
        await self._store.remove_webhook(account.id, self._clock.now())

    async def overview(self, account: Account, limit: int = 100) -> WebhookOverview:
        pushes, delivered = await self._store.overview(account.id, limit)
        return WebhookOverview(
            await self._store.get_webhook(account.id),
            pushes,
            delivered,
            await self._store.attempts(account.id, 20),
        )
