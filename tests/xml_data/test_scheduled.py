"""X15 list of scheduled messages and X16 cancelling them (refunded) over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree.ElementTree import Element

from smsrelay.domain.accounts import Lang

from .conftest import XmlClient


def _local_in(c: XmlClient, delta: timedelta) -> datetime:
    """The wall-clock time in Moscow (an account with no offset) ``delta`` from now."""
    return (c.platform.clock.now() + timedelta(hours=3) + delta).replace(tzinfo=None)


async def test_scheduled_json_message_is_listed_then_cancelled_and_refunded(
    client_both: XmlClient,
) -> None:
    """A JSON send with ``time_send`` tomorrow shows in list_scheduled with the example's
    attributes; scheduled.php cancels it (delete), refunds it, and it leaves the list; a
    second cancel answers not_found; its status becomes final (not_deliver)."""
    c = client_both
    await c.user("alice", balance="10")
    when = _local_in(c, timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    sent = await c.send_json("alice", "79001234567", time_send=when)
    id_sms = sent["id_sms"]
    assert "9" == await c.money("alice")
    listed = await c.call("/xml/list_scheduled.php", "alice", '<scheduled page="1"/>')
    page = listed.root.find("phones")
    assert page is not None
    assert ("1", "1") == (page.get("page"), page.get("num_pages"))
    (row,) = page.findall("scheduled")
    attrs = dict(row.attrib)
    assert 19 == len(attrs.pop("time_put_turn"))
    validity = datetime.strptime(when, "%Y-%m-%d %H:%M") + timedelta(
        hours=c.platform.runtime.settings.default_validity_hours
    )
    assert {
        "id_sms": str(id_sms),
        "originator": "Shop",
        "phone": "79001234567",
        "type_sms": "sms",
        "text_sms": "hello",
        "count_sms": "1",
        "name_delivery": "Шлюз",
        "time_send": when,
        "validity_period": validity.strftime("%Y-%m-%d %H:%M:%S"),
    } == attrs
    cancel = f'<delete_schedule><schedule id_sms="{id_sms}" /><schedule id_sms="{id_sms}" />'
    answer = await c.call("/xml/scheduled.php", "alice", cancel + "</delete_schedule>")
    results = [(el.get("id_sms"), el.text) for el in answer.root.findall("scheduled")]
    assert [(str(id_sms), "delete"), (str(id_sms), "not_found")] == results
    assert "10" == await c.money("alice")
    again = await c.call("/xml/list_scheduled.php", "alice", '<scheduled page="1"/>')
    assert [] == again.root.findall("phones/scheduled")
    state = await c.platform.post(
        "/json/state.php", {"token": c.users["alice"]["token"], "id_sms": id_sms}
    )
    assert "not_deliver" == state[0]["state"]
    assert 19 == len(state[0]["time_change_state"])


async def test_released_foreign_and_unknown_ids_are_not_found(client: XmlClient) -> None:
    """Another account's scheduled id, an unknown or non-numeric id, and a message the
    engine already released all answer not_found and refund nothing (curly quotes, as in
    the EN example, are tolerated)."""
    c = client
    await c.user("bob", balance="10")
    await c.user("eve", balance="10")
    soon = _local_in(c, timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
    mine = (await c.send_json("bob", "79001234567", time_send=soon))["id_sms"]
    theirs = (await c.send_json("eve", "79001234568", time_send=soon))["id_sms"]
    answer = await c.call(
        "/xml/scheduled.php",
        "bob",
        f'<delete_schedule><schedule id_sms="{theirs}\u201d /><schedule id_sms="99999999" />'
        '<schedule id_sms="abc" /></delete_schedule>',
    )
    expected = [(str(theirs), "not_found"), ("99999999", "not_found"), ("abc", "not_found")]
    assert expected == [(el.get("id_sms"), el.text) for el in answer.root.findall("scheduled")]
    assert "9" == await c.money("eve")
    c.platform.clock.advance(600)
    assert c.platform.runtime.engine is not None
    await c.platform.runtime.engine.tick()
    await c.platform.waiter.final([mine])
    late = await c.call(
        "/xml/scheduled.php",
        "bob",
        f'<delete_schedule><schedule id_sms="{mine}" /></delete_schedule>',
    )
    assert "not_found" == late.root.findtext("scheduled")
    assert "9" == await c.money("bob")
    assert [] == (await c.call("/xml/list_scheduled.php", "bob")).root.findall("phones/scheduled")


async def test_paging_of_scheduled_messages_in_english(client: XmlClient) -> None:
    """Pages of 100 by send time; an empty list is page 1 of 1; EN accounts get the EN
    default campaign name; another account's messages are never listed."""
    c = client
    await c.user("carol", balance="1000", lang=Lang.EN)
    await c.user("dave", balance="10")
    body = {
        "token": c.users["carol"]["token"],
        "message": [
            {
                "type_send_1": "sms",
                "sender": "Shop",
                "text": "later",
                "phones": [
                    {
                        "phone": f"7900200{i:04d}",
                        "time_send": _local_in(c, timedelta(hours=1, minutes=i)).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                    }
                    for i in range(120)
                ],
            }
        ],
    }
    answer = await c.platform.post("/json", body)
    assert 120 == sum(1 for i in answer["information"] if i.get("state") == "send")
    first = await _page(c, "carol", 1)
    second = await _page(c, "carol", 2)
    assert ("1", "2") == (first.get("page"), first.get("num_pages"))
    phones = [el.get("phone") for el in [*first, *second]]
    assert [f"7900200{i:04d}" for i in range(120)] == phones
    assert {"Gateway"} == {el.get("name_delivery") for el in first}
    empty = await _page(c, "dave", 1)
    assert ("1", "1", []) == (empty.get("page"), empty.get("num_pages"), list(empty))


async def _page(c: XmlClient, login: str, n: int) -> Element:
    """The ``<phones>`` element of list_scheduled page ``n``."""
    answer = await c.call("/xml/list_scheduled.php", login, f'<scheduled page="{n}"/>')
    found = answer.root.find("phones")
    assert found is not None
    return found
