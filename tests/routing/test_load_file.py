"""``connector load`` is all or nothing (SQLite and PostgreSQL): a file with any bad entry
stores nothing, a good one is stored whole, in one transaction with one version bump."""

from __future__ import annotations

import pytest

from smsrelay.clock import FakeClock
from smsrelay.services.routing import AdminError, RoutingAdmin
from smsrelay.store import Database, SqlAccountStore
from smsrelay.store.routing import SqlRoutingStore
from store.conftest import NOW

CONNECTORS = """
[[connector]]
name = "mts"
host = "smsc.mts.example"
port = 2775
system_id = "shop"
password = "s3cret"

[[connector]]
name = "beeline"
host = "smsc.beeline.example"
port = 2775
system_id = "shop"
password = "s3cret"
"""


@pytest.fixture
def admin(database: Database) -> RoutingAdmin:
    return RoutingAdmin(SqlRoutingStore(database), SqlAccountStore(database), FakeClock(NOW))


async def test_a_file_with_a_bad_route_stores_nothing(admin: RoutingAdmin) -> None:
    """The connectors before the bad route are not stored either; the version stays."""
    bad = CONNECTORS + '[[route]]\nprefix = "7"\nconnectors = ["mts", "megafon"]\n'
    with pytest.raises(AdminError, match="route #1: no connector named 'megafon'"):
        await admin.load_file(bad, "toml")
    config = await admin.config()
    assert ((), (), "0") == (config.connectors, config.routes, config.version)
    unknown_account = CONNECTORS + '[[route]]\nprefix = "7"\nconnectors = ["mts"]\naccount = "x"\n'
    with pytest.raises(AdminError, match="route #1: no account"):
        await admin.load_file(unknown_account, "toml")
    assert () == (await admin.config()).connectors


async def test_a_good_file_is_stored_whole_routes_may_name_its_connectors(
    admin: RoutingAdmin,
) -> None:
    good = CONNECTORS + '[[route]]\nprefix = "7"\nconnectors = ["mts", "beeline"]\n'
    assert (2, 1) == await admin.load_file(good, "toml")
    config = await admin.config()
    assert ["beeline", "mts"] == sorted(c.name for c in config.connectors)
    assert [("7", ("mts", "beeline"))] == [(r.prefix, r.connectors) for r in config.routes]
    assert "1" == config.version  # one transaction, one bump
    # a later file may name a connector stored before
    assert (0, 1) == await admin.load_file(
        '[[route]]\nprefix = "380"\nconnectors = ["mts"]', "toml"
    )
