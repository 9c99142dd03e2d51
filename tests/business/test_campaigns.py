"""One text to a whole base (/json/send_base.php): placeholders per subscriber, one message
each, the stop list applied, charged per part; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import text as sql

from e2e.conftest import Platform, start_platform
from smsrelay.services.campaigns import render_text


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p


def xml(login: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><request><security>'
        f'<login value="{login}"/><password value="pw-{login}"/></security>{body}</request>'
    ).encode()


async def call(p: Platform, path: str, login: str, body: str) -> ElementTree.Element:
    r = await p.post_raw(path, xml(login, body))
    return ElementTree.fromstring(r.content)


def test_placeholders() -> None:
    fields = {"name": "Иван", "addition_1": "VIP", "phone": "79001234567"}
    assert "Иван, VIP, {unknown}, , 79001234567" == render_text(
        "{name}, {addition_1}, {unknown}, {surname}, {phone}", fields
    )


async def test_send_to_a_base(platform: Platform) -> None:
    await platform.account("alice", balance="10", any_sender=True)
    created = await call(
        platform,
        "/xml/bases.php",
        "alice",
        '<bases><base number_base="1" name_base="Clients">x</base></bases>',
    )
    base = created.find("base").get("id_base")  # type: ignore[union-attr]
    await call(
        platform,
        "/xml/phones.php",
        "alice",
        f'<base id_base="{base}">'
        '<phone phone="79001234561" name="Иван" number_phone="1"/>'
        '<phone phone="79001234562" name="Анна" number_phone="2"/>'
        '<phone phone="79001234563" name="Олег" number_phone="3"/>'
        "</base>",
    )
    await call(
        platform, "/xml/stop.php", "alice", '<add_stop><phone phone="79001234563" /></add_stop>'
    )
    answer = await platform.post(
        "/json/send_base.php",
        {
            **platform.creds["alice"],
            "id_base": int(base or 0),
            "sender": "Shop",
            "text": "Здравствуйте, {name}! " + "x" * 60,
            "name_delivery": "Осень",
        },
    )
    info = {row["phone"]: row for row in answer["information"]}
    assert {"79001234561", "79001234562", "79001234563"} == set(info)
    assert "error" in info["79001234563"]  # stopped
    ids = [info[p]["id_sms"] for p in ("79001234561", "79001234562")]
    async with platform.runtime.stores.db.read() as conn:
        rows = (
            await conn.execute(sql("SELECT phone, text, parts, extra FROM messages ORDER BY phone"))
        ).all()
    assert [("79001234561", 2), ("79001234562", 2)] == [(r.phone, r.parts) for r in rows]
    assert rows[0].text.startswith("Здравствуйте, Иван!") and "Анна" in rows[1].text
    assert all("Осень" in r.extra for r in rows)
    await platform.waiter.final(ids)
    assert "6" == (await platform.balance("alice"))["money"]  # 2 messages x 2 parts x 1.00
    missing: Any = await platform.post(
        "/json/send_base.php",
        {**platform.creds["alice"], "id_base": 999999, "sender": "Shop", "text": "t"},
    )
    assert {"error": "Базы с таким номером не существует"} == missing


async def test_cli_send_base(platform: Platform, tmp_path: Path) -> None:
    """``smsrelay send --base`` against the running server: one line per subscriber."""
    import asyncio
    import sys

    await platform.account("bob", balance="10", any_sender=True)
    created = await call(
        platform,
        "/xml/bases.php",
        "bob",
        '<bases><base number_base="1" name_base="B">x</base></bases>',
    )
    base = created.find("base").get("id_base")  # type: ignore[union-attr]
    await call(
        platform,
        "/xml/phones.php",
        "bob",
        f'<base id_base="{base}"><phone phone="79001234571" name="Ян" number_phone="1"/></base>',
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsrelay",
        "send",
        "--base",
        str(base),
        "--text",
        "Hi {name}",
        "--sender",
        "Shop",
        "--login",
        "bob",
        "--password",
        "pw-bob",
        "--url",
        platform.base_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert 0 == proc.returncode, err.decode()
    assert "79001234571: id_sms" in out.decode() and "1 of 1 accepted" in out.decode()
