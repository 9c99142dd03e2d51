"""Opt-out by reply, end to end with the simulator's MOs (issue 9), on SQLite and PostgreSQL:
a subscriber answering STOP lands on the STOP list of the account owning the number it wrote
to and of the account whose message it answers; START takes it off; X13 and X17 show the
change at once; words and a confirmation SMS are configurable per account and per number."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.cli.inbound import send_mo
from smsrelay.domain.optout import OptOutSettings
from smsrelay.domain.status import MessageStatus
from smsrelay.services.optout import OptOutService

from .conftest import inbound_of

STOPPED = "Номер телефона присутствует в стоп-листе."


@pytest.fixture
async def echo(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path, simulator_mo_echo=True):
        yield p


def optout_of(p: Platform) -> OptOutService:
    service = p.runtime.extras["optout"]
    assert isinstance(service, OptOutService)
    return service


async def xml(p: Platform, path: str, login: str, inner: str = "") -> ElementTree.Element:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><request>'
        f'<security><login value="{login}" /><password value="pw-{login}" /></security>'
        f"{inner}</request>"
    )
    r = await p.http.post(path, content=body.encode())
    assert 200 == r.status_code, r.text
    return ElementTree.fromstring(r.content)


async def stop_list(p: Platform, login: str) -> list[str]:
    return [el.text or "" for el in (await xml(p, "/xml/list_stop.php", login)).iter("phone")]


async def stop_changed(p: Platform, login: str) -> str:
    root = await xml(p, "/xml/check_change.php", login, '<check obgect="stop" />')
    found = root.find("obgect")
    assert found is not None
    return found.get("time_update") or ""


async def simulate_mo(p: Platform, source: str, destination: str, text: str) -> None:
    """What ``smsrelay simulate mo FROM TO TEXT`` does, then wait until it is stored."""
    assert p.runtime.simulator is not None
    await send_mo(
        source,
        destination,
        text,
        host="127.0.0.1",
        port=p.runtime.simulator.port,
        system_id=p.runtime.settings.simulator_system_id,
        password=p.runtime.settings.simulator_password,
        timeout=10.0,
    )
    await inbound_of(p).flushed()


async def test_stop_answer_to_a_message_stops_its_sender(echo: Platform) -> None:
    """alice's message to ...9008 is answered "STOP" by the simulator (MO echo) to the
    sender name; no number is registered, yet the MO answers alice's message: the phone is
    on alice's STOP list (X13), X17 moves, and a new message to it is refused."""
    p = echo
    await p.account("alice", any_sender=True)
    before = await stop_changed(p, "alice")
    p.clock.advance(2)  # X17's time is to the second: the change must land in a later one
    sent = await p.send("alice", "79001239008", text="promo", sender="Shop")
    await p.waiter.final([int(sent["id_sms"])])
    await asyncio.wait_for(optout_of(p).changed.wait(), 10)
    await inbound_of(p).flushed()
    assert ["79001239008"] == await stop_list(p, "alice")
    assert before != await stop_changed(p, "alice")
    assert {"error": STOPPED} == await p.send("alice", "79001239008", sender="Shop")


async def test_simulated_mo_stops_and_starts_for_the_number_owner(echo: Platform) -> None:
    """``simulate mo``: " стоп " (trimmed, any case) to bob's dedicated number adds the
    subscriber to bob's list only; "Старт" removes it; an ordinary text changes nothing."""
    p = echo
    await p.account("bob", any_sender=True)
    await p.account("eve", any_sender=True)
    bob = await p.runtime.stores.accounts.find_by_login("bob")
    assert bob is not None
    await inbound_of(p).add_number(bob.account.id, "3443", None)
    await simulate_mo(p, "79161234567", "3443", " стоп ")
    assert ["79161234567"] == await stop_list(p, "bob")
    assert [] == await stop_list(p, "eve")
    await simulate_mo(p, "79161234567", "3443", "please stop sending")
    await simulate_mo(p, "79161234568", "3443", "UNSUBSCRIBE")
    assert ["79161234567", "79161234568"] == await stop_list(p, "bob")
    await simulate_mo(p, "79161234567", "3443", "Старт")
    assert ["79161234568"] == await stop_list(p, "bob")


async def test_own_words_and_a_charged_confirmation(echo: Platform) -> None:
    """carol's words for her number replace the defaults; her confirmation SMS is accepted
    and charged like any message and delivered although the number is now stop-listed."""
    p = echo
    await p.account("carol", balance="10", any_sender=True)
    carol = await p.runtime.stores.accounts.find_by_login("carol")
    assert carol is not None
    await inbound_of(p).add_number(carol.account.id, "3444", None)
    await optout_of(p).configure(
        carol.account.id,
        "3444",
        OptOutSettings(
            stop_words=("ХВАТИТ",), start_words=("ЕЩЁ",), confirm_text="Вы отписаны", sender="Shop"
        ),
    )
    await simulate_mo(p, "79161230001", "3444", "STOP")  # not carol's word on this number
    assert [] == await stop_list(p, "carol")
    waited = asyncio.get_running_loop().create_future()
    p.runtime.engine.add_listener(  # type: ignore[union-attr]
        lambda changes: [
            waited.set_result(c.message_id)
            for c in changes
            if c.status is MessageStatus.DELIVERED and not waited.done()
        ]
    )
    await simulate_mo(p, "79161230001", "3444", "хватит!")
    assert ["79161230001"] == await stop_list(p, "carol")
    confirmation = await asyncio.wait_for(waited, 10)
    state = await p.state("carol", confirmation, detail=1)
    assert ("deliver", 1) == (state["state"], state["num_parts"])
    assert "9" == (await p.balance("carol"))["money"]
