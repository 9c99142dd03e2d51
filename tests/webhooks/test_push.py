"""Statuses pushed end to end: real API, engine, simulator, database, pusher and a real HTTP
receiver on a loopback port, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

from e2e.conftest import Platform, start_platform
from smsrelay.domain.accounts import Account
from smsrelay.services.webhooks import WebhookFormat, WebhookService
from webhooks.conftest import MANUAL, Push, Receiver, ack, ack_all

TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
DELIVERED, UNDELIVERED, EXPIRED = "79001230001", "79001239001", "79001239002"


async def hooked(p: Platform, login: str, url: str, **options: Any) -> Account:
    """An account with a webhook to ``url``."""
    info = await p.account(login, any_sender=True)
    p.creds[login] = {"token": info["token"]}  # no password hashing per request: fast tests
    record = await p.runtime.stores.accounts.find_by_login(login)
    assert record is not None
    await service(p).set(record.account, url, **options)
    return record.account


def service(p: Platform) -> WebhookService:
    return p.runtime.extras["webhooks"]  # type: ignore[no-any-return]


async def run_once(p: Platform) -> int:
    return await p.runtime.extras["webhook_pusher"].run_once()  # type: ignore[no-any-return]


async def sent_and_final(p: Platform, login: str, *phones: str) -> list[int]:
    ids = [int((await p.send(login, phone))["id_sms"]) for phone in phones]
    await p.waiter.final(ids)
    return ids


async def test_final_statuses_reach_a_json_receiver(manual: Platform, receiver: Receiver) -> None:
    """Each final status is POSTed once as the J3 JSON array, in local time, and acked."""
    account = await hooked(manual, "alice", receiver.url())
    ids = await sent_and_final(manual, "alice", DELIVERED, UNDELIVERED, EXPIRED)

    assert 1 == await run_once(manual)

    [push] = receiver.pushes
    rows = push.json()
    assert {ids[0]: "deliver", ids[1]: "not_deliver", ids[2]: "expired"} == {
        r["id_sms"]: r["state"] for r in rows
    }
    assert all(TIME.fullmatch(r["time"]) for r in rows)
    assert "application/json; charset=utf-8" == push.headers["content-type"]
    assert 32 == len(push.headers["x-smsrelay-delivery"])
    assert "x-smsrelay-signature" not in push.headers
    view = await service(manual).overview(account)
    assert (3, []) == (view.delivered, view.pushes)
    assert 0 == await run_once(manual)  # nothing left: acked pushes are never resent


async def test_only_echoed_ids_count_and_the_rest_is_retried(
    manual: Platform, receiver: Receiver
) -> None:
    """Acks some ids, then 500, then hangs past the timeout, then comes back: every status
    ends up delivered; retries wait for the backoff and keep their delivery id."""
    account = await hooked(manual, "bob", receiver.url())
    first, second, third = await sent_and_final(manual, "bob", DELIVERED, UNDELIVERED, EXPIRED)
    release = asyncio.Event()
    answers = iter(["some", "500", "hang", "all"])

    async def handler(push: Push) -> tuple[int, bytes]:
        mode = next(answers)
        if mode == "some":
            return 200, ack([first, 999_999])  # an id never sent is ignored
        if mode == "500":
            return 500, ack(push.ids())  # acks in a failure answer do not count
        if mode == "hang":
            await release.wait()
        return 200, ack([str(i) for i in push.ids()])  # type: ignore[misc]  # ids as strings

    receiver.handler = handler
    assert 1 == await run_once(manual)
    assert 0 == await run_once(manual)  # not due before the backoff (10 s)
    for wait in (10, 20, 40):
        manual.clock.advance(wait + 1)
        assert 1 == await run_once(manual)
    release.set()

    sent = [sorted(p.ids()) for p in receiver.pushes]
    assert [[first, second, third], [second, third], [second, third], [second, third]] == sent
    assert 1 == len({p.headers["x-smsrelay-delivery"] for p in receiver.pushes[1:]})
    view = await service(manual).overview(account)
    assert (3, []) == (view.delivered, view.pushes)
    history = [(a.attempt, a.http_status, a.error, a.sent, a.acked) for a in view.attempts]
    assert [
        (4, 200, None, 2, 2),
        (3, None, "timeout", 2, 0),
        (2, 500, None, 2, 0),
        (1, 200, None, 3, 1),
    ] == history


async def test_after_the_last_attempt_a_push_is_failed(
    manual: Platform, receiver: Receiver
) -> None:
    """Five POSTs in total (the spec's number), then ``failed``, listed with its attempts."""

    async def broken(push: Push) -> tuple[int, bytes]:
        return 500, b"oops"

    receiver.handler = broken
    account = await hooked(manual, "carol", receiver.url())
    [sms] = await sent_and_final(manual, "carol", DELIVERED)
    for _ in range(5):
        assert 1 == await run_once(manual)
        manual.clock.advance(3600)
    assert 0 == await run_once(manual)

    [failed] = (await service(manual).overview(account)).pushes
    assert (sms, "failed", 5, "HTTP 500: 0 of 1 acked") == (
        failed.id_sms,
        failed.state,
        failed.attempts,
        failed.last_result,
    )
    assert 5 == len(receiver.pushes)


async def test_pending_pushes_survive_a_restart(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    """Statuses not yet acked when the platform stops are pushed by the next one."""

    async def down(push: Push) -> tuple[int, bytes]:
        return 503, b""

    receiver.handler = down
    async for first in start_platform(database_url, tmp_path, **MANUAL):
        await hooked(first, "dave", receiver.url())
        ids = await sent_and_final(first, "dave", DELIVERED, UNDELIVERED)
        assert 1 == await run_once(first)
    receiver.handler = ack_all
    async for second in start_platform(
        database_url, tmp_path, webhook_poll_interval=0.05, webhook_allow_private=True
    ):
        second.clock.advance(60)  # past the backoff of the failed attempt
        second.runtime.extras["webhook_pusher"].wake()
        pushes = await receiver.wait_for(2)
        await second.runtime.extras["webhook_pusher"].stop()  # waits for the ack's record
        record = await second.runtime.stores.accounts.find_by_login("dave")
        assert record is not None
        view = await service(second).overview(record.account)
    assert sorted(ids) == sorted(pushes[1].ids())
    assert (2, []) == (view.delivered, view.pushes)


async def test_signed_pushes_verify_with_the_account_secret(
    manual: Platform, receiver: Receiver
) -> None:
    """With a secret, X-Smsrelay-Signature is sha256=<HMAC-SHA256 of the exact body>."""
    await hooked(manual, "erin", receiver.url(), secret="s3cret")
    await sent_and_final(manual, "erin", DELIVERED)
    await run_once(manual)

    [push] = receiver.pushes
    expected = "sha256=" + hmac.new(b"s3cret", push.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, push.headers["x-smsrelay-signature"])


async def test_a_hanging_client_does_not_delay_another_account(live: Platform) -> None:
    """While one account's receiver hangs, another account's statuses are pushed at once."""
    slow, fast = Receiver(), Receiver()
    await slow.start()
    await fast.start()
    release = asyncio.Event()

    async def hang(push: Push) -> tuple[int, bytes]:
        await release.wait()
        return 200, ack(push.ids())

    slow.handler = hang
    try:
        await hooked(live, "slow", slow.url())
        await hooked(live, "fast", fast.url())
        await sent_and_final(live, "slow", DELIVERED)
        await slow.wait_for(1)  # the slow client holds its POST open...
        await sent_and_final(live, "fast", DELIVERED)
        await fast.wait_for(1, within=3.0)  # ...and the other account is pushed meanwhile
        assert not release.is_set()
    finally:
        release.set()
        await slow.stop()
        await fast.stop()


async def test_w6_sets_and_reads_the_url_and_pushes_go_as_xml(
    manual: Platform, receiver: Receiver
) -> None:
    """``<get_state type="set">`` stores the URL (XML pushes, ``<response>`` root, ``sms``
    attribute); ``type="get"`` reads it; an XML ack delivers."""
    info = await manual.account("frank", any_sender=True)
    manual.creds["frank"] = {"token": info["token"]}
    security = f'<security><token value="{info["token"]}" /></security>'

    async def w6(inner: str) -> str:
        body = f'<?xml version="1.0" encoding="utf-8"?><request>{security}{inner}</request>'
        r = await manual.post_raw("/xml/get_state.php", body.encode())
        assert 200 == r.status_code
        return r.text

    url = receiver.url("/state.php?a=1&b=2")
    answer = f"<response><get_state>{url.replace('&', '&amp;')}</get_state></response>"
    assert answer in await w6(f'<get_state type="set">{url.replace("&", "&amp;")}</get_state>')
    assert answer in await w6('<get_state type="get" />')

    async def xml_ack(push: Push) -> tuple[int, bytes]:
        found = [int(i) for i in re.findall(r'id_sms="(\d+)"', push.body.decode())]
        return 200, ack(found, WebhookFormat.XML)

    receiver.handler = xml_ack
    [sms] = await sent_and_final(manual, "frank", UNDELIVERED)
    await run_once(manual)
    [push] = receiver.pushes
    assert "/state.php?a=1&b=2" == push.path
    assert "text/xml; charset=utf-8" == push.headers["content-type"]
    body = push.body.decode()
    match = re.fullmatch(
        r'<\?xml version="1.0" encoding="utf-8"\?>\n<response><state id_sms="(\d+)" '
        r'time="([^"]+)" sms="not_deliver">not_deliver</state></response>',
        body,
    )
    assert match is not None, body
    assert str(sms) == match.group(1)
    assert 0 == await run_once(manual)  # the XML ack counted


async def test_w6_refuses_bad_urls_and_removes_with_an_empty_one(manual: Platform) -> None:
    """A non-http(s) or link-local URL is refused with the format literal; an empty URL
    removes the webhook; bad credentials and a locked account get their literals."""
    info = await manual.account("gina")
    security = f'<security><token value="{info["token"]}" /></security>'

    async def w6(inner: str) -> str:
        body = f"<request>{security}{inner}</request>"
        return (await manual.post_raw("/xml/get_state.php", body.encode())).text

    refused = "<error>Неправильный формат XML документа</error>"
    assert refused in await w6('<get_state type="set">ftp://example.com/x</get_state>')
    assert refused in await w6('<get_state type="set">http://169.254.169.254/x</get_state>')
    assert refused in await w6('<get_state type="bogus">http://127.0.0.1/</get_state>')
    assert "<get_state>http://127.0.0.1:9/x</get_state>" in await w6(
        '<get_state type="set">http://127.0.0.1:9/x</get_state>'
    )
    assert "<get_state></get_state>" in await w6('<get_state type="set"></get_state>')
    assert "<get_state></get_state>" in await w6("<get_state />")
    bad_login = "<request><security><login value='gina' /><password value='no' /></security>"
    answer = await manual.post_raw(
        "/xml/get_state.php", (bad_login + "<get_state /></request>").encode()
    )
    assert "<error>Неправильный логин или пароль</error>" in answer.text
    await manual.runtime.admin.set_locked("gina", True)
    assert "<error>Ваш аккаунт заблокирован</error>" in await w6("<get_state />")
