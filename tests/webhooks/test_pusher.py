"""The pusher against a real receiver, with a resolver the test controls: the address is
checked again at push time (DNS can change) and the connection goes to the checked address."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from smsrelay.clock import FakeClock
from smsrelay.delivery.webhooks import PusherSettings, WebhookPusher
from smsrelay.services.webhooks import (
    AddressPolicy,
    UrlGuard,
    WebhookRefused,
    WebhookService,
)
from smsrelay.store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore
from smsrelay.store.webhooks import SqlWebhookStore
from store.conftest import NOW, Kit
from webhooks.conftest import Receiver
from webhooks.test_outbox import rejected

POLICY = AddressPolicy.parse("", "169.254.0.0/16", allow_private=True)  # receiver on loopback


class Dns:
    """A resolver whose answers the test changes."""

    def __init__(self) -> None:
        self.table: dict[str, list[str]] = {}

    async def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.table:
            raise WebhookRefused("cannot resolve host")
        return self.table[host]


@pytest.fixture
async def parts(
    database: Database,
) -> AsyncIterator[tuple[Kit, WebhookService, WebhookPusher, Dns]]:
    kit = Kit(
        database, SqlAccountStore(database), SqlMessageStore(database), SqlDeliveryQueue(database)
    )
    dns, clock, store = Dns(), FakeClock(NOW), SqlWebhookStore(database)
    guard = UrlGuard(POLICY, dns)
    pusher = WebhookPusher(store, guard, clock, PusherSettings(timeout=5.0, run_loop=False))
    await pusher.start()
    try:
        yield kit, WebhookService(store, guard, clock), pusher, dns
    finally:
        await pusher.stop()


async def test_a_host_that_now_resolves_to_a_denied_address_is_not_pushed(
    parts: tuple[Kit, WebhookService, WebhookPusher, Dns], receiver: Receiver
) -> None:
    """Allowed when set; at push time the name points at the metadata address: no POST, the
    attempt is recorded as refused and retried later."""
    kit, service, pusher, dns = parts
    acc = await kit.account()
    dns.table["hook.test"] = ["127.0.0.1"]
    await service.set(acc, f"http://hook.test:{receiver.port}/x")
    await rejected(kit, acc.id)
    dns.table["hook.test"] = ["169.254.169.254"]

    assert 1 == await pusher.run_once()

    [push] = (await service.overview(acc)).pushes
    assert ("pending", 1) == (push.state, push.attempts)
    assert push.last_result is not None and push.last_result.startswith("refused: address")
    assert [] == receiver.pushes


async def test_the_connection_goes_to_the_checked_address_with_the_original_host(
    parts: tuple[Kit, WebhookService, WebhookPusher, Dns], receiver: Receiver
) -> None:
    """The pusher connects to the addresses it checked (no second resolution; the next one
    when one refuses the connection) and sends the URL's own Host header."""
    kit, service, pusher, dns = parts
    acc = await kit.account()
    dns.table["hook.test"] = ["127.0.0.2", "127.0.0.1"]  # nothing listens on 127.0.0.2
    await service.set(acc, f"http://hook.test:{receiver.port}/x?k=v")
    await rejected(kit, acc.id)

    await pusher.run_once()

    [push] = receiver.pushes
    assert (f"hook.test:{receiver.port}", "/x?k=v") == (push.headers["host"], push.path)
    assert 1 == (await service.overview(acc)).delivered


async def test_setting_a_refused_url_stores_nothing(
    parts: tuple[Kit, WebhookService, WebhookPusher, Dns],
) -> None:
    """Set time: scheme and resolved addresses are checked before anything is stored."""
    kit, service, _, dns = parts
    acc = await kit.account()
    dns.table["meta.test"] = ["169.254.169.254"]
    for url in ("http://meta.test/", "gopher://127.0.0.1/", "http://unknown.test/"):
        with pytest.raises(WebhookRefused):
            await service.set(acc, url)
    assert None is await service.get(acc)
