"""Incoming SMS end to end: the simulated carrier sends MOs over SMPP, the platform routes and
stores them, and clients read them with X7 (``POST /xml/incoming.php``) over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree.ElementTree import Element, fromstring

from sqlalchemy import select

from e2e.conftest import Platform
from smsrelay.api.literals import Dialect, document_error
from smsrelay.domain.accounts import Lang
from smsrelay.domain.errors import DocumentErrorCode
from smsrelay.store.schema_inbound import inbound_messages

from .conftest import inbound_of, mo, x7_body

MOSCOW = timedelta(hours=3)  # accounts default to server time, Moscow (spec X18)


def local(moment: datetime) -> str:
    return (moment + MOSCOW).strftime("%Y-%m-%d %H:%M:%S")


async def x7(platform: Platform, login: str, start: str, end: str | None = None) -> Element:
    r = await platform.post_raw("/xml/incoming.php", x7_body(login, start, end))
    assert 200 == r.status_code
    assert r.headers["content-type"].startswith("text/xml")
    return fromstring(r.content)


async def test_dedicated_number_receives_everything(platform: Platform) -> None:
    """Every MO to a dedicated number is the account's, with an empty prefix; X7 shows id_sms,
    date_receive (local time), originator, prefix, phone and the text."""
    await platform.account("alpha")
    account = await platform.runtime.stores.accounts.find_by_login("alpha")
    assert account is not None
    await inbound_of(platform).add_number(account.account.id, "79990001111", None)
    before = platform.clock.now() - timedelta(seconds=5)
    await mo(platform, "79161234567", "79990001111", "Hello & <welcome>")
    root = await x7(platform, "alpha", local(before))
    [sms] = root.findall("sms")
    assert {"originator": "79161234567", "prefix": "", "phone": "79990001111"} == {
        k: sms.get(k) for k in ("originator", "prefix", "phone")
    }
    assert "Hello & <welcome>" == sms.text
    assert (sms.get("id_sms") or "").isdigit()
    received = datetime.strptime(sms.get("date_receive") or "", "%Y-%m-%d %H:%M:%S")
    assert abs((received - MOSCOW) - platform.clock.now().replace(tzinfo=None)) < timedelta(
        seconds=30
    )


async def test_shared_number_routes_by_leading_keyword(platform: Platform) -> None:
    """On a shared short code, the leading keyword (any case) picks the account and is the
    prefix; another account's MOs are invisible; an MO with no known keyword is unrouted."""
    ids = {}
    for login, keyword in (("gamer", "igra"), ("voter", "VOTE")):
        await platform.account(login)
        record = await platform.runtime.stores.accounts.find_by_login(login)
        assert record is not None
        ids[login] = record.account.id
        await inbound_of(platform).add_number(record.account.id, "3443", keyword)
    start = local(platform.clock.now() - timedelta(seconds=5))
    await mo(platform, "79160000001", "3443", "Igra start now")
    await mo(platform, "79160000002", "3443", "vote, for number 5")
    await mo(platform, "79160000003", "3443", "IGRAX is not IGRA")
    gamer = (await x7(platform, "gamer", start)).findall("sms")
    voter = (await x7(platform, "voter", start)).findall("sms")
    assert [("79160000001", "IGRA", "3443", "Igra start now")] == [
        (s.get("originator"), s.get("prefix"), s.get("phone"), s.text) for s in gamer
    ]
    assert [("79160000002", "VOTE", "vote, for number 5")] == [
        (s.get("originator"), s.get("prefix"), s.text) for s in voter
    ]
    async with platform.runtime.stores.db.read() as conn:
        rows = (
            await conn.execute(select(inbound_messages.c.account_id, inbound_messages.c.text))
        ).all()
    assert (None, "IGRAX is not IGRA") in [tuple(r) for r in rows]


async def test_unknown_number_is_stored_unrouted(platform: Platform) -> None:
    """An MO to a number nobody registered is kept (account NULL), counted, and nobody sees it."""
    await platform.account("nobody")
    start = local(platform.clock.now() - timedelta(seconds=5))
    await mo(platform, "79161112233", "79990009999", "anyone there?")
    assert 1 == inbound_of(platform).stats["unrouted"]
    async with platform.runtime.stores.db.read() as conn:
        rows = (await conn.execute(select(inbound_messages))).all()
    assert [(None, "79161112233", "79990009999", "anyone there?")] == [
        (r.account_id, r.originator, r.phone, r.text) for r in rows
    ]
    assert [] == (await x7(platform, "nobody", start)).findall("sms")


async def test_time_window_bounds_are_exclusive(platform: Platform) -> None:
    """``start`` and ``end`` are both exclusive, at the seconds ``date_receive`` shows; without
    ``end`` everything after ``start`` is listed."""
    await platform.account("timer")
    record = await platform.runtime.stores.accounts.find_by_login("timer")
    assert record is not None
    await inbound_of(platform).add_number(record.account.id, "79990002222", "")
    texts = ["first", "second", "third"]
    for text in texts:
        await mo(platform, "79160000009", "79990002222", text)
        platform.clock.advance(3600)
    early = local(platform.clock.now() - timedelta(hours=10))
    everything = (await x7(platform, "timer", early)).findall("sms")
    assert texts == [s.text for s in everything]
    first, second, third = (s.get("date_receive") or "" for s in everything)
    assert ["second", "third"] == [
        s.text for s in (await x7(platform, "timer", first)).findall("sms")
    ]
    assert ["second"] == [
        s.text for s in (await x7(platform, "timer", first, third)).findall("sms")
    ]
    assert [] == (await x7(platform, "timer", first, second)).findall("sms")
    assert ["first"] == [
        s.text for s in (await x7(platform, "timer", early, second)).findall("sms")
    ]


async def test_x7_errors_are_document_errors(platform: Platform) -> None:
    """Wrong password: the §1.8 literal in the platform language (the account is not known);
    a missing ``<time>`` or an unreadable date: "incorrect format" in the account's language."""
    await platform.account("errs", lang=Lang.EN)
    bad_login = x7_body("errs", "2026-01-01 00:00:00").replace(b"pw-errs", b"wrong")
    r = await platform.post_raw("/xml/incoming.php", bad_login)
    refused = document_error(DocumentErrorCode.BAD_CREDENTIALS, Dialect.XML, Lang.RU)
    assert f"<error>{refused}</error>".encode() in r.content
    bad_format = b"<error>Incorrect XML document format</error>"
    r = await platform.post_raw("/xml/incoming.php", x7_body("errs", "yesterday"))
    assert bad_format in r.content
    no_time = x7_body("errs", "2026-01-01 00:00:00").replace(
        b'<time start="2026-01-01 00:00:00" />', b""
    )
    r = await platform.post_raw("/xml/incoming.php", no_time)
    assert bad_format in r.content
    r = await platform.http.get("/xml/incoming.php")
    missing = document_error(DocumentErrorCode.NO_POST_DATA, Dialect.XML, Lang.RU)
    assert f"<error>{missing}</error>".encode() in r.content


async def test_mo_echo_answers_9008_with_stop(platform: Platform) -> None:
    """With ``simulator_mo_echo``, a message to ...9008 comes back as an MO "STOP" from it."""
    await platform.account("echo", any_sender=True)
    record = await platform.runtime.stores.accounts.find_by_login("echo")
    assert record is not None
    await inbound_of(platform).add_number(record.account.id, "79995550000", None)
    start = local(platform.clock.now() - timedelta(seconds=5))
    sent = await platform.send("echo", "79001239008", text="promo", sender="79995550000")
    await platform.waiter.final([int(sent["id_sms"])])
    assert platform.runtime.simulator is not None
    await platform.runtime.simulator.wait_for(lambda s: s.counters.mo_sent >= 1)
    await inbound_of(platform).flushed()
    [sms] = (await x7(platform, "echo", start)).findall("sms")
    assert ("79001239008", "79995550000", "STOP") == (
        sms.get("originator"),
        sms.get("phone"),
        sms.text,
    )
