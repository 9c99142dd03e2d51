"""Every configuration example in ``docs/*.md`` loads as written (SQLite and PostgreSQL).

A config example is a fenced ``toml`` block (a ``connector load`` file), or a ``json`` block
whose object has a ``connector`` or ``route`` list. They are found by parsing the Markdown, so
an example added tomorrow is tested tomorrow. Every other ``json`` block must at least parse.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from docs.blocks import Block, doc_blocks
from smsrelay.clock import FakeClock
from smsrelay.domain.accounts import Lang
from smsrelay.domain.money import Money
from smsrelay.services.routing import RoutingAdmin
from smsrelay.store import Database, SqlAccountStore
from smsrelay.store.routing import SqlRoutingStore
from store.conftest import NOW


def _is_config(block: Block) -> bool:
    if block.lang == "toml":
        return True
    data = json.loads(block.text)
    return isinstance(data, dict) and bool({"connector", "route"} & set(data))


CONFIGS = [b for b in doc_blocks("toml", "json") if _is_config(b)]


def test_the_docs_have_config_examples() -> None:
    """The finder finds them (docs/routing.md has one in TOML and one in JSON)."""
    assert {"toml", "json"} <= {b.lang for b in CONFIGS}


@pytest.mark.parametrize("block", CONFIGS, ids=lambda b: b.where)
async def test_config_example_loads(database: Database, block: Block) -> None:
    """``connector load`` stores every connector and route of the example; accounts its routes
    name are created first (they are the operator's, not the file's)."""
    data = tomllib.loads(block.text) if block.lang == "toml" else json.loads(block.text)
    accounts = SqlAccountStore(database)
    for login in sorted({r["account"] for r in data.get("route", []) if "account" in r}):
        await accounts.create(
            login=login,
            password_hash="x",
            token=None,
            balance=Money(0),
            lang=Lang.RU,
            any_sender=False,
            parent_id=None,
            now=NOW,
        )
    admin = RoutingAdmin(SqlRoutingStore(database), accounts, FakeClock(NOW))
    loaded = await admin.load_file(block.text, block.lang)
    assert (len(data.get("connector", [])), len(data.get("route", []))) == loaded
    config = await admin.config()
    assert {c["name"] for c in data.get("connector", [])} == {c.name for c in config.connectors}
    assert len(data.get("route", [])) == len(config.routes)


@pytest.mark.parametrize("block", doc_blocks("json"), ids=lambda b: b.where)
def test_every_json_example_parses(block: Block) -> None:
    json.loads(block.text)
