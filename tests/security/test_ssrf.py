"""Finding 2: the SSRF guard. Unspecified addresses (``0.0.0.0``, ``0``, ``[::]``) reach this
host, so they count as loopback; internal ranges are refused by default; every resolved
address is checked and the POST connects only to a checked one."""

from __future__ import annotations

import ipaddress

import pytest

from smsrelay.config import Settings, load_settings
from smsrelay.services.webhooks import (
    AddressPolicy,
    UrlGuard,
    WebhookRefused,
    system_resolver,
)

LOOPBACK_DENIED = AddressPolicy.parse(
    "", "169.254.0.0/16,fe80::/10,127.0.0.0/8,::1/128", allow_private=True
)
DEFAULT = AddressPolicy.parse(
    Settings().webhook_allow, Settings().webhook_deny, Settings().webhook_allow_private
)


@pytest.mark.parametrize("host", ["0.0.0.0", "0", "[::]", "0.1.2.3", "[::ffff:0.0.0.0]"])
async def test_unspecified_addresses_count_as_loopback(host: str) -> None:
    """With loopback denied, the unspecified forms are refused too (the reviewer's bypass:
    the platform POSTed to its own loopback), through the real resolver."""
    guard = UrlGuard(LOOPBACK_DENIED, system_resolver)
    with pytest.raises(WebhookRefused):
        await guard.check(f"http://{host}:8080/hook")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "0.0.0.0",
        "::",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "100.64.0.1",  # carrier-grade NAT
        "198.18.0.1",  # benchmarking
        "fc00::1",  # unique local
        "169.254.169.254",
        "fe80::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible (deprecated)
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_default_policy_refuses_internal_addresses(address: str) -> None:
    assert not DEFAULT.permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"])
def test_default_policy_allows_public_addresses(address: str) -> None:
    assert DEFAULT.permits(ipaddress.ip_address(address))


def test_allow_private_setting_opens_internal_ranges_but_not_denied_ones() -> None:
    """SMSRELAY_WEBHOOK_ALLOW_PRIVATE=1 (tests, local receivers) allows loopback and private
    networks; the deny list (link-local, metadata) still wins."""
    settings = load_settings({"SMSRELAY_WEBHOOK_ALLOW_PRIVATE": "1"})
    policy = AddressPolicy.parse(
        settings.webhook_allow, settings.webhook_deny, settings.webhook_allow_private
    )
    permitted = [
        policy.permits(ipaddress.ip_address(a))
        for a in ("127.0.0.1", "10.0.0.1", "0.0.0.0", "169.254.169.254", "fe80::1")
    ]
    assert [True, True, True, False, False] == permitted


def test_an_explicit_allow_network_admits_its_internal_addresses_only() -> None:
    policy = AddressPolicy.parse("10.20.0.0/16", "")
    permitted = [
        policy.permits(ipaddress.ip_address(a))
        for a in ("10.20.1.1", "10.21.1.1", "127.0.0.1", "8.8.8.8")
    ]
    assert [True, False, False, False] == permitted


async def test_a_name_with_one_internal_address_is_refused() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "0.0.0.0"]

    with pytest.raises(WebhookRefused, match="is not allowed"):
        await UrlGuard(DEFAULT, resolve).check("https://rebind.test/hook")


async def test_a_resolver_answer_that_is_no_address_is_refused() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["not-an-address"]

    with pytest.raises(WebhookRefused):
        await UrlGuard(DEFAULT, resolve).check("https://odd.test/hook")
