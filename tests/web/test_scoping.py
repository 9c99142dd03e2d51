"""A client reaches no other account's data through any page or export."""

from __future__ import annotations

from .conftest import Web


async def _send(web: Web, login: str, text: str, phone: str) -> int:
    from smsrelay.services.commands import SendItem, SendRecipient

    account = (await web.runtime.stores.accounts.find_by_login(login)).account  # type: ignore[union-attr]
    [result] = await web.runtime.platform.send(
        account, [SendItem(recipients=[SendRecipient(phone=phone)], sender="Shop", text=text)]
    )
    assert result.id_sms is not None
    return result.id_sms


async def test_no_page_or_export_shows_another_accounts_data(web: Web) -> None:
    """Bob's message, phone, text and money movements appear nowhere in Alice's cabinet,
    whatever she puts in the URL."""
    alice = await web.account("alice", any_sender=True)
    await web.account("bob", balance="4321.98", any_sender=True)
    mine = await _send(web, "alice", "alice-text", "79001110000")
    theirs = await _send(web, "bob", "bob-secret-text", "79002229999")
    async with web.client() as http:
        await web.login(http, "lk", "alice", alice)
        pages = [
            "/lk/",
            "/lk/history",
            "/lk/history?phone=7900222",
            "/lk/history?sender=Shop&account_id=2",
            f"/lk/history?before={theirs + 1}",
            "/lk/history.csv",
            "/lk/history.csv?phone=79002229999",
            "/lk/statement",
            "/lk/statement.csv",
            "/lk/senders",
            "/lk/settings",
            "/lk/stop-list",
            "/lk/scheduled",
            "/lk/incoming",
            "/lk/webhook",
            "/lk/clients",
        ]
        for path in pages:
            r = await http.get(path)
            assert 200 == r.status_code, path
            assert "bob-secret-text" not in r.text, path
            assert "79002229999" not in r.text, path
            assert "321.98" not in r.text, path
        detail = await http.get(f"/lk/history/{theirs}")
        assert 404 == detail.status_code
        assert "bob-secret-text" not in detail.text
        own = await http.get(f"/lk/history/{mine}")
        assert 200 == own.status_code and "alice-text" in own.text
        csv_all = (await http.get("/lk/history.csv")).text
        assert "alice-text" in csv_all
        # the console is closed to a client whatever the path
        assert 303 == (await http.get("/admin/accounts/2")).status_code
        assert 303 == (await http.get("/admin/files/bob/1")).status_code
