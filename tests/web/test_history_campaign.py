"""The history's campaign filter: an exact match on ``messages.campaign`` (indexed), filled at
acceptance from ``name_delivery``; scoped to the logged-in account; on both databases."""

from __future__ import annotations

from sqlalchemy import select

from smsrelay.store.schema import messages

from .conftest import Web


async def _send(web: Web, login: str, campaign: str, phone: str) -> None:
    password = f"pw-{login}-secret"
    async with web.client() as http:
        csrf = await web.login(http, "lk", login, password)
        r = await http.post(
            "/lk/send",
            data={
                "csrf": csrf,
                "phones": phone,
                "text": "hello",
                "sender": "Shop",
                "campaign": campaign,
            },
        )
        assert "Принято: 1 / 1" in r.text


async def test_campaign_filter_is_exact_indexed_and_scoped(web_db: Web) -> None:
    web = web_db
    for login in ("alice", "bob"):
        await web.account(login, any_sender=True)
    await _send(web, "alice", "spring", "79001000001")
    await _send(web, "alice", "spring sale", "79001000002")
    await _send(web, "alice", "", "79001000003")
    await _send(web, "bob", "spring", "79001000004")
    async with web.runtime.stores.db.read() as conn:
        rows = (await conn.execute(select(messages.c.phone, messages.c.campaign))).all()
    assert {
        ("79001000001", "spring"),
        ("79001000002", "spring sale"),
        ("79001000003", None),
        ("79001000004", "spring"),
    } == {(r.phone, r.campaign) for r in rows}
    async with web.client() as http:
        await web.login(http, "lk", "alice", "pw-alice-secret")
        r = await http.get("/lk/history?campaign=spring")
        assert 1 == r.text.count("data-status=")
        assert "79001000001" in r.text and "79001000004" not in r.text
        r = await http.get("/lk/history?campaign=spring+sale")
        assert 1 == r.text.count("data-status=") and "79001000002" in r.text
        r = await http.get("/lk/history?campaign=spr")
        assert 0 == r.text.count("data-status=")
        r = await http.get("/lk/history")
        assert 3 == r.text.count("data-status=")
