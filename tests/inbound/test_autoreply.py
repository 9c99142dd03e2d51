"""Auto-reply per incoming number and keyword (issue 13), end to end with the simulator's MOs
on SQLite and PostgreSQL: the reply goes from the number to the MO's sender through the normal
acceptance path, charged to the owning account per part, once per MO; opt-out words win."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.services.autoreply import AutoReplyService
from smsrelay.services.inbound import NumberError
from smsrelay.store.inbound import SqlInboundStore

from .conftest import inbound_of
from .test_optout import simulate_mo, stop_list


@pytest.fixture
async def echo(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path, simulator_mo_echo=True):
        yield p


def autoreply_of(p: Platform) -> AutoReplyService:
    service = p.runtime.extras["autoreply"]
    assert isinstance(service, AutoReplyService)
    return service


async def money(p: Platform, login: str) -> str:
    return str((await p.balance(login))["money"])


async def test_auto_reply_charged_once_per_mo_and_not_for_opt_out(echo: Platform) -> None:
    p = echo
    await p.account("dave", balance="10", any_sender=True)
    await p.account("erin", balance="10", any_sender=True)
    dave = await p.runtime.stores.accounts.find_by_login("dave")
    assert dave is not None
    inbound, replies = inbound_of(p), autoreply_of(p)
    await inbound.add_number(dave.account.id, "3445", "info")
    await inbound.add_number(dave.account.id, "3445", None)
    await inbound.add_number(dave.account.id, "3446", None)  # no auto-reply on this one
    await replies.set_reply(dave.account.id, "3445", "INFO", "Open 9-18")
    await replies.set_reply(dave.account.id, "3445", None, "Thanks, we will call you")
    with pytest.raises(NumberError):  # erin does not own 3445
        await replies.set_reply(dave.account.id + 1, "3445", None, "x")

    await simulate_mo(p, "79161230002", "3445", "Info, please")  # keyword reply: 1 part
    assert (1, "9") == (replies.stats["sent"], await money(p, "dave"))
    await simulate_mo(p, "79161230003", "3445", "hello")  # the dedicated number's reply
    assert (2, "8") == (replies.stats["sent"], await money(p, "dave"))
    await simulate_mo(p, "79161230004", "3446", "hello")  # no auto-reply: nothing sent
    await simulate_mo(p, "79161230005", "3445", "STOP")  # opt-out wins: no auto-reply
    assert ["79161230005"] == await stop_list(p, "dave")
    assert (2, "8", "10") == (
        replies.stats["sent"],
        await money(p, "dave"),
        await money(p, "erin"),
    )

    stored = await SqlInboundStore(p.runtime.stores.db).incoming(
        dave.account.id, datetime(2000, 1, 1, tzinfo=UTC), None, 100
    )
    assert 4 == len(stored)

    # a second pass over the same MO (a retried hand-over) sends and charges nothing more
    await replies.handle([stored[0]])
    assert "8" == await money(p, "dave")


async def test_clearing_the_auto_reply(echo: Platform) -> None:
    p = echo
    await p.account("fay", balance="10", any_sender=True)
    fay = await p.runtime.stores.accounts.find_by_login("fay")
    assert fay is not None
    await inbound_of(p).add_number(fay.account.id, "3447", None)
    await autoreply_of(p).set_reply(fay.account.id, "3447", None, "Hi")
    await autoreply_of(p).set_reply(fay.account.id, "3447", None, None)
    await simulate_mo(p, "79161230006", "3447", "hello")
    assert (0, "10") == (autoreply_of(p).stats["sent"], await money(p, "fay"))


async def test_the_carriers_repeat_of_an_mo_gets_no_second_auto_reply(echo: Platform) -> None:
    """The simulator delivers the same MO twice (the same deliver_sm, as a carrier resends
    one): both are stored, one auto-reply is sent and charged. The same text 11 minutes later
    is a new MO and is answered."""
    p = echo
    await p.account("gus", balance="10", any_sender=True)
    gus = await p.runtime.stores.accounts.find_by_login("gus")
    assert gus is not None
    await inbound_of(p).add_number(gus.account.id, "3448", None)
    replies = autoreply_of(p)
    await replies.set_reply(gus.account.id, "3448", None, "Thanks")
    await simulate_mo(p, "79161230007", "3448", "hello")
    await simulate_mo(p, "79161230007", "3448", "hello")
    assert (1, "9") == (replies.stats["sent"], await money(p, "gus"))
    stored = await SqlInboundStore(p.runtime.stores.db).incoming(
        gus.account.id, datetime(2000, 1, 1, tzinfo=UTC), None, 100
    )
    assert 2 == len(stored)
    p.clock.advance(11 * 60)
    await simulate_mo(p, "79161230007", "3448", "hello")
    assert (2, "8") == (replies.stats["sent"], await money(p, "gus"))
