"""The SSRF guard: URL form and scheme, resolved addresses against the allow/deny lists."""

from __future__ import annotations

import ipaddress

import pytest

from smsrelay.config import ConfigError, Settings
from smsrelay.services.webhooks import (
    AddressPolicy,
    UrlGuard,
    WebhookConfig,
    WebhookRefused,
    system_resolver,
)

DEFAULT = AddressPolicy.parse(Settings().webhook_allow, Settings().webhook_deny)


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


@pytest.mark.parametrize(
    ("address", "permitted"),
    [
        ("127.0.0.1", False),  # loopback: only with webhook_allow_private (issue 9, finding 2)
        ("::1", False),
        ("93.184.216.34", True),
        ("10.1.2.3", False),  # private: likewise
        ("169.254.169.254", False),  # cloud metadata
        ("169.254.10.1", False),  # link-local
        ("fe80::1", False),
        ("fd00:ec2::254", False),  # AWS IPv6 metadata
        ("::ffff:169.254.169.254", False),  # IPv4-mapped counts as its IPv4
    ],
)
def test_default_policy_denies_link_local_and_metadata(address: str, permitted: bool) -> None:
    """By default every public address is allowed; link-local and metadata addresses are
    denied, and loopback and private ones are refused unless allowed explicitly."""
    assert permitted == DEFAULT.permits(ipaddress.ip_address(address))


def test_allow_list_restricts_and_deny_wins() -> None:
    """With an allow list only its networks pass; a denied address inside it is still refused."""
    policy = AddressPolicy.parse("10.0.0.0/8, 127.0.0.1/32", "10.9.0.0/16")
    checks = [
        policy.permits(ipaddress.ip_address(a))
        for a in ("10.1.1.1", "127.0.0.1", "10.9.1.1", "8.8.8.8", "::1")
    ]
    assert [True, True, False, False, False] == checks


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "http://",
        "http://user:pw@example.com/",
        "http://exa mple.com/",
        "http://127.0.0.1:99999/",
        "http://example.com/" + "x" * 2100,
        "",
    ],
)
def test_malformed_or_non_http_urls_are_refused(url: str) -> None:
    """Only http(s) URLs with a host, no credentials, bounded length."""
    with pytest.raises(WebhookRefused):
        WebhookConfig(url)


async def test_every_resolved_address_must_be_allowed() -> None:
    """A name is refused if ANY of its addresses is denied (no rebinding through a mix)."""
    guard = UrlGuard(
        DEFAULT,
        resolver(
            {"ok.test": ["93.184.216.34"], "mixed.test": ["93.184.216.34", "169.254.169.254"]}
        ),
    )
    resolved = await guard.check("https://ok.test:8443/hook")
    assert ("ok.test", 8443, ("93.184.216.34",)) == (
        resolved.host,
        resolved.port,
        resolved.addresses,
    )
    with pytest.raises(WebhookRefused, match=r"169\.254\.169\.254"):
        await guard.check("http://mixed.test/hook")
    with pytest.raises(WebhookRefused):
        await guard.check("http://[fe80::1]/hook")  # literal addresses are checked too


async def test_the_system_resolver_resolves_localhost_and_refuses_unknown_names() -> None:
    """Real resolution; an unresolvable name is a refusal, not a crash."""
    assert "127.0.0.1" in await system_resolver("localhost", 80) or "::1" in await system_resolver(
        "localhost", 80
    )
    with pytest.raises(WebhookRefused):
        await system_resolver("no-such-host.invalid", 80)


def test_bad_cidr_settings_fail_at_start_naming_the_key() -> None:
    """webhook_allow / webhook_deny must be CIDR lists."""
    with pytest.raises(ConfigError, match="webhook_deny"):
        Settings(webhook_deny="10.0.0.0/8,not-a-network")
