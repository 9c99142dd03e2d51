"""``smsrelay messages search|show`` and the account/price/stop-list/sender commands, run as
real processes against the database of a running platform (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sys

from e2e.conftest import Platform


async def cli(db: str, *args: str, stdin: str = "", ok: bool = True) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsrelay",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SMSRELAY_DATABASE_URL": db},
    )
    out, err = await proc.communicate(stdin.encode())
    assert (proc.returncode == 0) is ok, (out + err).decode()
    return (out if ok else err).decode()


async def test_messages_search_and_show(platform: Platform) -> None:
    """Search filters by account, phone and status (CSV for scripts); show tells a
    message's whole story: parts with carrier ids and receipts, money, attempts, route."""
    db = platform.runtime.settings.database_url
    await platform.account("ann", any_sender=True)
    await platform.account("bob", any_sender=True)
    delivered = (await platform.send("ann", "79001234567", sender="Shop"))["id_sms"]
    silent = (await platform.send("ann", "79001239004", sender="Alerts"))["id_sms"]  # no receipt
    other = (await platform.send("bob", "79001234567"))["id_sms"]
    await platform.waiter.final([delivered, other])

    rows = list(csv.DictReader(io.StringIO(await cli(db, "messages", "search", "--account",
                                                     "ann", "--csv"))))  # fmt: skip
    assert [silent, delivered] == [int(r["id"]) for r in rows]
    assert ["submitted", "delivered"] == [r["status"] for r in rows]
    assert {"ann"} == {r["account"] for r in rows}

    by_phone = await cli(db, "messages", "search", "--phone", "+79001234567", "--csv")
    assert {delivered, other} == {int(r["id"]) for r in csv.DictReader(io.StringIO(by_phone))}
    narrow = await cli(
        db, "messages", "search", "--status", "delivered", "--sender", "Shop", "--account",
        "ann", "--since", "2000-01-01", "--limit", "5", "--csv",
    )  # fmt: skip
    assert [delivered] == [int(r["id"]) for r in csv.DictReader(io.StringIO(narrow))]
    human = await cli(db, "messages", "search", "--until", "2000-01-01")
    assert "(0 messages)" in human

    doc = json.loads(await cli(db, "messages", "show", str(delivered), "--json"))
    assert ("delivered", "simulator", 1) == (doc["status"], doc["connector"], doc["attempts"])
    [part] = doc["parts_detail"]
    assert ("delivered", "simulator") == (part["state"], part["connector"])
    assert part["carrier_id"]
    assert [("charge", "-1.00")] == [(m["kind"], m["amount"]) for m in doc["money"]]
    text = await cli(db, "messages", "show", str(silent))
    assert f"message {silent}  submitted  account ann" in text
    assert "carrier id" in text and ": pending at" in text
    assert "no message with id 999999" in await cli(db, "messages", "show", "999999", ok=False)


async def test_account_price_stoplist_sender_commands(platform: Platform) -> None:
    """price list, account show/password/token, stoplist add/list/remove, sender remove."""
    db = platform.runtime.settings.database_url
    creds = await platform.account("cat", balance="50")
    prices = await cli(db, "price", "list")
    assert "7" in prices and "1.00" in prices and "Russia" in prices

    await cli(db, "sender", "add", "cat", "Shop", "--approve")
    shown = await cli(db, "account", "show", "cat")
    assert "balance 50.00 RUR" in shown and "Shop: completed" in shown
    assert "topup           50.00" in shown  # the starting balance is the first statement line

    await cli(db, "account", "password", "cat", stdin="n3w-secret\nn3w-secret\n")
    platform.creds["cat"] = {"login": "cat", "password": "n3w-secret"}
    assert "50" in str((await platform.balance("cat"))["money"])

    out = await cli(db, "account", "token", "cat", "--rotate")
    token = out.strip().rsplit(" ", 1)[1]
    assert token != creds["token"]
    assert "use --rotate" in await cli(db, "account", "token", "cat", ok=False)
    platform.creds["cat"] = {"token": token}
    assert "50" in str((await platform.balance("cat"))["money"])

    assert "79001234567: add" in await cli(db, "stoplist", "add", "cat", "79001234567")
    assert "79001234567" in await cli(db, "stoplist", "list", "cat")
    assert "79001234567: delete" in await cli(db, "stoplist", "remove", "cat", "79001234567")
    assert "(0 numbers)" in await cli(db, "stoplist", "list", "cat")

    await cli(db, "sender", "remove", "cat", "Shop")
    assert "Shop:" not in await cli(db, "account", "show", "cat")
    assert "has no sender" in await cli(db, "sender", "remove", "cat", "Shop", ok=False)


async def test_connector_query_sm_switch(platform: Platform) -> None:
    """``connector query-sm NAME on|off`` is the connector setting the query_sm worker reads
    each round."""
    from smsrelay.store.receipt_queries import SqlReceiptQueries

    db = platform.runtime.settings.database_url
    store = SqlReceiptQueries(platform.runtime.stores.db)
    assert "carrierx: query_sm on" in await cli(db, "connector", "query-sm", "carrierx", "on")
    assert {"carrierx"} == await store.allowed_connectors()
    await cli(db, "connector", "query-sm", "carrierx", "off")
    assert set() == await store.allowed_connectors()


async def test_status_without_a_server_shows_the_database(platform: Platform) -> None:
    """No server at the address: status says so and shows what the database knows."""
    from .test_ready_metrics_status import _closed_port

    db = platform.runtime.settings.database_url
    await platform.account("dan", any_sender=True)
    await platform.send("dan", "79001239004")  # stays submitted
    url = f"http://127.0.0.1:{_closed_port()}"
    doc = json.loads(await cli(db, "status", "--json", "--url", url, "--timeout", "1"))
    assert (None, None) == (doc["process"], doc["connectors"])
    assert 1 == doc["queue"]["submitted"] + doc["queue"]["submitting"]
    text = await cli(db, "status", "--url", url, "--timeout", "1")
    assert "server: not reachable" in text and "webhook backlog: 0" in text
    # the connector's owner node and lease expiry, from the database (docs/scaling.md)
    ownership = platform.runtime.ownership
    assert ownership is not None
    [owner] = doc["connector_owners"]
    assert ("simulator", ownership.node) == (owner["connector"], owner["owner"])
    assert owner["expires_at"] and owner["acquired_at"]
    assert f"simulator        {ownership.node}" in text
