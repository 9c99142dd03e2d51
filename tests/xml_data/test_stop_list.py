"""X13/X14 STOP list over HTTP, its X17 change time, and its effect on sending."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from smsrelay.domain.accounts import Lang

from .conftest import XmlClient

STOPPED = "Номер телефона присутствует в стоп-листе."


def _results(root: Element) -> list[tuple[str | None, str | None]]:
    return [(p.get("phone"), p.text) for p in root.findall("phone")]


async def test_add_list_delete_with_every_result_word(client_both: XmlClient) -> None:
    """add_stop answers add, delete_stop delete or not_found; list_stop shows the numbers."""
    c = client_both
    await c.user("alice")
    added = await c.call(
        "/xml/stop.php",
        "alice",
        '<add_stop><phone phone="79612242243" /><phone phone="79612242244" /></add_stop>',
    )
    assert [("79612242243", "add"), ("79612242244", "add")] == _results(added.root)
    listed = await c.call("/xml/list_stop.php", "alice")
    assert ["79612242243", "79612242244"] == [p.text for p in listed.root.findall("phone")]
    changed = await c.call(
        "/xml/stop.php",
        "alice",
        '<delete_stop><phone phone="79612242243" /><phone phone="79612242245" /></delete_stop>'
        '<add_stop><phone phone="79612242244" /></add_stop>',
    )
    expected = [("79612242243", "delete"), ("79612242245", "not_found"), ("79612242244", "add")]
    assert expected == _results(changed.root)
    listed = await c.call("/xml/list_stop.php", "alice", password=True)
    assert ["79612242244"] == [p.text for p in listed.root.findall("phone")]


async def test_stopped_number_is_refused_and_costs_nothing(client_both: XmlClient) -> None:
    """A number added through X14 is refused by the JSON send with the §1.9 literal, free;
    after delete_stop it is sent again."""
    c = client_both
    await c.user("bob", balance="10")
    await c.call("/xml/stop.php", "bob", '<add_stop><phone phone="79001234567" /></add_stop>')
    refused = await c.send_json("bob", "79001234567")
    assert {"error": STOPPED} == refused
    assert "10" == await c.money("bob")
    await c.call("/xml/stop.php", "bob", '<delete_stop><phone phone="79001234567" /></delete_stop>')
    sent = await c.send_json("bob", "79001234567")
    assert "send" == sent["state"]
    assert "9" == await c.money("bob")


async def test_stop_lists_are_per_account(client: XmlClient) -> None:
    """Another account's STOP list is neither visible nor removable."""
    await client.user("carol")
    await client.user("dave")
    await client.call(
        "/xml/stop.php", "carol", '<add_stop><phone phone="79001112233" /></add_stop>'
    )
    assert [] == (await client.call("/xml/list_stop.php", "dave")).root.findall("phone")
    gone = await client.call(
        "/xml/stop.php", "dave", '<delete_stop><phone phone="79001112233" /></delete_stop>'
    )
    assert [("79001112233", "not_found")] == _results(gone.root)
    listed = await client.call("/xml/list_stop.php", "carol")
    assert ["79001112233"] == [p.text for p in listed.root.findall("phone")]


async def test_invalid_numbers_are_not_found_and_plus_is_normalized(client: XmlClient) -> None:
    """A number that is not a phone number cannot be listed (not_found); ``+7…`` is stored
    as ``7…`` and echoed as sent."""
    await client.user("erin")
    answer = await client.call(
        "/xml/stop.php",
        "erin",
        '<add_stop><phone phone="abc" /><phone phone="+79001234567" /></add_stop>',
    )
    assert [("abc", "not_found"), ("+79001234567", "add")] == _results(answer.root)
    listed = await client.call("/xml/list_stop.php", "erin")
    assert ["79001234567"] == [p.text for p in listed.root.findall("phone")]


async def test_check_change_stop_moves_with_additions_and_removals(client: XmlClient) -> None:
    """X17 ``obgect="stop"`` answers ``<obgect time_update>``: the account's creation at first,
    then the time of the last addition or removal (account local time)."""
    c = client
    await c.user("frank", lang=Lang.EN)
    check = '<check obgect="stop" id="1" />'
    first = (await c.call("/xml/check_change.php", "frank", check)).root.find("obgect")
    assert first is not None
    assert 19 == len(first.get("time_update") or "")
    c.platform.clock.advance(3600)
    await c.call("/xml/stop.php", "frank", '<add_stop><phone phone="79001234567" /></add_stop>')
    added = (await c.call("/xml/check_change.php", "frank", check)).root.find("obgect")
    assert added is not None
    assert (added.get("time_update") or "") > (first.get("time_update") or "")
    c.platform.clock.advance(3600)
    await c.call(
        "/xml/stop.php", "frank", '<delete_stop><phone phone="79001234567" /></delete_stop>'
    )
    removed = (await c.call("/xml/check_change.php", "frank", check)).root.find("obgect")
    assert removed is not None
    assert (removed.get("time_update") or "") > (added.get("time_update") or "")
