"""The routing configuration in the database (SQLite and PostgreSQL): connectors, routes,
route prices, limits, the configuration version, and the route-price charge."""

from __future__ import annotations

import pytest

from smsrelay.domain.money import Money
from smsrelay.services.routing import (
    BindType,
    ConcatKind,
    ConnectorSpec,
    RateLimit,
    Reprice,
    RoutePrice,
    RouteSpec,
)
from smsrelay.store import Database
from smsrelay.store.routing import SqlRoutingStore
from store.conftest import NOW, Kit, message

SPEC = ConnectorSpec(
    "mts",
    "127.0.0.1",
    2775,
    "shop",
    "secret",
    bind=BindType.TRANSMITTER,
    window=20,
    throughput=12.5,
    concat=ConcatKind.SAR,
    binds=2,
    source_ton=5,
    source_npi=0,
)


@pytest.fixture
def store(database: Database) -> SqlRoutingStore:
    return SqlRoutingStore(database)


async def test_connectors_round_trip_and_bump_the_version(store: SqlRoutingStore) -> None:
    """A stored connector loads back equal; every change moves the version."""
    assert "0" == await store.version()
    await store.put_connector(SPEC)
    v1 = await store.version()
    await store.put_connector(ConnectorSpec("beeline", "10.0.0.2", 2776, "b", "p"))
    config = await store.load()
    assert (ConnectorSpec("beeline", "10.0.0.2", 2776, "b", "p"), SPEC) == config.connectors
    assert config.version != v1
    assert await store.remove_connector("beeline")
    assert not await store.remove_connector("beeline")
    assert (SPEC,) == (await store.load()).connectors


async def test_routes_prices_and_limits(kit: Kit, store: SqlRoutingStore) -> None:
    """One route per (prefix, account, operator): putting it again replaces it; route prices
    upsert per (connector, prefix); a limit of None removes it."""
    alice = await kit.account()
    await store.put_route(RouteSpec("7", ("a", "b")))
    await store.put_route(RouteSpec("7", ("b",)))
    await store.put_route(RouteSpec("7", ("a",), account_id=alice.id, failover_on_undeliv=True))
    await store.put_route(RouteSpec("7", ("c",), operator="MTS"))
    routes = (await store.load()).routes
    expected = {
        RouteSpec("7", ("b",)),
        RouteSpec("7", ("a",), account_id=alice.id, failover_on_undeliv=True, account="alice"),
        RouteSpec("7", ("c",), operator="MTS"),
    }
    assert expected == set(routes)
    assert await store.remove_route("7", alice.id, "")
    assert 2 == len((await store.load()).routes)
    await store.put_route_price(RoutePrice("a", "7", Money.parse("0.5")))
    await store.put_route_price(RoutePrice("a", "7", Money.parse("0.6")))
    await store.set_limit(alice.id, "", 10.0)
    await store.set_limit(alice.id, "Shop", 2.0)
    await store.set_limit(alice.id, "Shop", None)
    config = await store.load()
    assert (RoutePrice("a", "7", Money.parse("0.6")),) == config.prices
    assert (RateLimit(alice.id, "", 10.0, "alice"),) == config.limits


async def test_reprice_charges_or_refunds_the_difference_once(
    kit: Kit, store: SqlRoutingStore
) -> None:
    """The route's price replaces the list price: the difference times the parts moves with a
    ledger row; doing it again changes nothing. Fewer parts sent (another encoding) than
    charged at acceptance: the parts not sent are refunded."""
    alice = await kit.account(balance="100")
    cheap = await kit.accepted_id(alice.id, message(alice.id, parts=2))  # 2 x 1.00
    dear = await kit.accepted_id(alice.id, message(alice.id, "79001234568"))  # 1 x 1.00
    assert Money.parse("97") == (await kit.accounts.get(alice.id)).balance  # type: ignore[union-attr]
    items = [Reprice(cheap, Money.parse("0.4"), 2), Reprice(dear, Money.parse("1.5"), 1)]
    await store.reprice(items, NOW)
    await store.reprice(items, NOW)
    assert Money.parse("97.7") == (await kit.accounts.get(alice.id)).balance  # type: ignore[union-attr]
    rows = await kit.rows(
        "SELECT kind, amount_micros FROM ledger WHERE message_id IS NOT NULL "
        "AND kind IN ('refund', 'charge') ORDER BY id"
    )
    assert [("refund", 1_200_000), ("charge", -500_000)] == [tuple(r) for r in rows]
    prices = await kit.rows("SELECT price_micros, parts FROM messages ORDER BY id")
    assert [(400_000, 2), (1_500_000, 1)] == [tuple(r) for r in prices]
    sent = await kit.accepted_id(alice.id, message(alice.id, parts=3))
    await store.reprice([Reprice(sent, None, 2)], NOW)
    assert Money.parse("95.7") == (await kit.accounts.get(alice.id)).balance  # type: ignore[union-attr]
    last = await kit.rows("SELECT price_micros, parts FROM messages WHERE id = :id", id=sent)
    assert [(1_000_000, 2)] == [tuple(r) for r in last]
