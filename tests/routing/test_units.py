"""Routing decisions, flow control in parts and concatenation references: pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsrelay.clock import FakeClock
from smsrelay.delivery.limits import ConcatRefs, FlowControl, TokenBucket
from smsrelay.delivery.ports import Receipt
from smsrelay.delivery.routing import Router, UndelivWatch
from smsrelay.domain.messages import Channel, MessageKind, OutboundMessage
from smsrelay.domain.money import Money
from smsrelay.domain.status import PartState
from smsrelay.services.routing import (
    ConnectorSpec,
    RateLimit,
    RoutePrice,
    RouteSpec,
    TextEncoding,
    parse_config_file,
)


class Link:
    """A connector that is ready or not (routing only looks at ``name`` and ``ready``)."""

    def __init__(self, name: str, ready: bool = True) -> None:
        self.name = name
        self.ready = ready


def message(phone: str, account_id: int = 1) -> OutboundMessage:
    return OutboundMessage(
        id=1,
        account_id=account_id,
        phone=phone,
        sender="Shop",
        text="hi",
        parts=1,
        channel=Channel.SMS,
        kind=MessageKind.SMS,
        valid_until=datetime(2030, 1, 1, tzinfo=UTC),
    )


def router(
    routes: list[RouteSpec], operators: dict[str, str] | None = None, **ready: bool
) -> Router:
    r = Router(routes=routes, operator_of=lambda phone: (operators or {}).get(phone, ""))
    for name in ("a", "b", "c"):
        r.add(Link(name, ready.get(name, True)))  # type: ignore[arg-type]
    return r


def test_longest_prefix_wins() -> None:
    """Among routes for every account, the longest matching prefix is chosen."""
    r = router([RouteSpec("7", ("a",)), RouteSpec("79", ("b",)), RouteSpec("", ("c",))])
    assert ("b",) == r.route(message("79001234567")).connectors  # type: ignore[union-attr]
    assert ("a",) == r.route(message("77001234567")).connectors  # type: ignore[union-attr]
    assert ("c",) == r.route(message("380501234567")).connectors  # type: ignore[union-attr]


def test_account_route_beats_a_longer_general_prefix() -> None:
    """A route of the message's account wins over any route for every account."""
    r = router([RouteSpec("79", ("a",)), RouteSpec("7", ("b",), account_id=5)])
    assert ("b",) == r.route(message("79001234567", account_id=5)).connectors  # type: ignore[union-attr]
    assert ("a",) == r.route(message("79001234567", account_id=6)).connectors  # type: ignore[union-attr]


def test_operator_route_from_numbering_data() -> None:
    """A route for the number's mobile operator wins over the operator-less one."""
    routes = [RouteSpec("7", ("a",)), RouteSpec("7", ("c",), operator="MTS")]
    r = router(routes, {"79161234567": "MTS"})
    assert ("c",) == r.route(message("79161234567")).connectors  # type: ignore[union-attr]
    assert ("a",) == r.route(message("79031234567")).connectors  # type: ignore[union-attr]


def test_pick_takes_the_first_ready_connector_by_priority() -> None:
    """A connector that is not ready is skipped for the next one of the route."""
    r = router([RouteSpec("7", ("a", "b", "c"))], a=False)
    assert "b" == r.pick(message("79001234567")).name  # type: ignore[union-attr]
    r = router([RouteSpec("7", ("a", "b"))], a=False, b=False)
    assert None is r.pick(message("79001234567"))


def test_without_routes_every_connector_serves_every_number() -> None:
    """No route configured: every connector in the order added."""
    r = router([])
    assert ("a", "b", "c") == r.route(message("12345678")).connectors  # type: ignore[union-attr]


def test_route_price_by_connector_and_longest_prefix() -> None:
    """A route price applies to its connector only; the longest prefix wins."""
    r = Router()
    prices = [RoutePrice("a", "7", Money.parse("0.5")), RoutePrice("a", "79", Money.parse("0.7"))]
    r.install({"a": [Link("a")], "b": [Link("b")]}, [], [], prices)  # type: ignore[list-item]
    assert 700_000 == r.price("a", "79001234567")
    assert 500_000 == r.price("a", "77001234567")
    assert None is r.price("b", "79001234567")
    assert None is r.price("a", "380501234567")


def test_token_bucket_counts_parts() -> None:
    """A 10 parts/s bucket lets a burst of 10 parts through, then one part per 0.1 s."""
    bucket = TokenBucket(10, now=0.0)
    assert 0.0 == bucket.reserve(10, 0.0)
    assert pytest.approx(0.3) == bucket.reserve(3, 0.0)
    assert pytest.approx(0.0) == bucket.reserve(1, 0.4)


def test_flow_control_account_and_sender_limits_with_a_fake_clock() -> None:
    """The wait is the longer of the account's and the sender's; other senders are free."""
    clock = FakeClock()
    flow = FlowControl(clock)
    flow.configure([("a", 4.0)], [RateLimit(1, "", 10.0), RateLimit(1, "Shop", 2.0)])
    assert 0.0 == flow.reserve_sender(1, "Shop", 2)
    assert pytest.approx(1.0) == flow.reserve_sender(1, "Shop", 2)
    assert 0.0 == flow.reserve_sender(1, "Other", 2)
    assert 0.0 == flow.reserve_sender(2, "Shop", 50)  # no limit for account 2
    clock.advance(1.0)
    assert pytest.approx(1.0) == flow.reserve_sender(1, "Shop", 2)
    assert 0.0 == flow.reserve_connector("a", 4)
    assert pytest.approx(0.5) == flow.reserve_connector("a", 2)
    assert 0.0 == flow.reserve_connector("b", 1000)


def test_flow_control_reload_keeps_unchanged_buckets() -> None:
    """Reloading the same limits does not refill the buckets (no burst on reload)."""
    flow = FlowControl(FakeClock())
    flow.configure([("a", 2.0)], [])
    flow.reserve_connector("a", 2)
    flow.configure([("a", 2.0)], [])
    assert pytest.approx(0.5) == flow.reserve_connector("a", 1)
    flow.configure([("a", 4.0)], [])
    assert 0.0 == flow.reserve_connector("a", 1)


def test_concat_refs_rotate_per_destination_and_stay_bounded() -> None:
    """Consecutive long messages to one number get different references; the map is an LRU."""
    refs = ConcatRefs(capacity=2)
    first, second = refs.next("79001"), refs.next("79001")
    other = refs.next("79002")
    assert (first + 1) & 0xFFFF == second
    assert other != second
    refs.next("79003")
    assert 2 == len(refs)


def test_config_file_toml_and_json() -> None:
    """Connectors and routes load from TOML and JSON; a bad entry is named."""
    toml = """
[[connector]]
name = "mts"
host = "10.0.0.1"
port = 2775
system_id = "shop"
password = "pw"
throughput = 50.0
encoding = "latin1"

[[route]]
prefix = "7"
connectors = ["mts"]
"""
    parsed = parse_config_file(toml, "toml")
    expected = ConnectorSpec(
        "mts", "10.0.0.1", 2775, "shop", "pw", throughput=50.0, encoding=TextEncoding.LATIN1
    )
    assert (expected,) == parsed.connectors
    assert ({"prefix": "7", "connectors": ["mts"]},) == parsed.routes
    parsed = parse_config_file(
        '{"connector": [{"name": "b", "host": "h", "port": 1, "system_id": "s", "password": "p"}]}',
        "json",
    )
    assert "b" == parsed.connectors[0].name
    with pytest.raises(ValueError, match="connector #1"):
        parse_config_file(
            '{"connector": [{"name": "b", "host": "h", "port": 0, '
            '"system_id": "s", "password": "p"}]}',
            "json",
        )


def test_specs_validate_on_construction() -> None:
    """Bad names, ports, windows and route lists are refused when the value is made."""
    with pytest.raises(ValueError):
        ConnectorSpec("bad name", "h", 1, "s", "p")
    with pytest.raises(ValueError):
        ConnectorSpec("a", "h", 1, "s", "p", window=0)
    with pytest.raises(ValueError):
        RouteSpec("7x", ("a",))
    with pytest.raises(ValueError):
        RouteSpec("7", ("a", "a"))


def undeliv(connector: str, carrier_id: str) -> Receipt:
    return Receipt(
        connector, (carrier_id,), PartState.UNDELIVERED, datetime(2030, 1, 1, tzinfo=UTC)
    )


def test_undeliv_watch_matches_each_part_once() -> None:
    """An UNDELIV receipt of a watched part starts one failover; the message's other parts are
    no longer watched; an unwatched receipt is processed normally."""
    watch = UndelivWatch()
    m = message("79001234567")
    assert [] == watch.watch(m, ("a",), ["c1", "c2"])
    assert False is watch.receipt(undeliv("b", "c1"), 0.0)
    receipt = undeliv("a", "c2")
    assert (receipt, m, ("a",)) == watch.receipt(receipt, 0.0)
    assert False is watch.receipt(undeliv("a", "c1"), 0.0)
    assert 0 == len(watch)


def test_undeliv_watch_holds_receipts_that_overtake_their_submit() -> None:
    """While a watched route's submit is in progress an unmatched UNDELIV is held: matched
    when the message is watched, released for normal processing when nothing is in progress."""
    watch = UndelivWatch(hold_for=1.0)
    m = message("79001234567")
    watch.begin()
    early, stray = undeliv("a", "c1"), undeliv("a", "zz")
    assert True is watch.receipt(early, 0.0)
    assert True is watch.receipt(stray, 0.0)
    assert [(early, m, ("a",))] == watch.watch(m, ("a",), ["c1"])
    assert [stray] == watch.end(0.1)
    assert not watch.active


def test_a_released_reservation_is_given_back() -> None:
    """A message sent back to the queue gives its parts back to the account's bucket."""
    flow = FlowControl(FakeClock())
    flow.configure([], [RateLimit(1, "", 1.0)])
    assert 0.0 == flow.reserve_sender(1, "Shop", 1)
    assert pytest.approx(3.0) == flow.reserve_sender(1, "Shop", 3)
    flow.release_sender(1, "Shop", 3)
    assert pytest.approx(1.0) == flow.reserve_sender(1, "Shop", 1)
