"""Binds and hostile input: credentials, locks, addresses, bind limits, session rules, bad PDUs.

The platform runs on SQLite here (the storage is exercised on both databases by the other
modules of this suite); real sockets on port 0.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.smpp import CommandId, CommandStatus, Pdu

from .conftest import Customer, give_smpp, smpp_server

S = CommandStatus
C = CommandId


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(f"sqlite:///{tmp_path / 'smsrelay.db'}", tmp_path):
        yield p


async def test_bind_outcomes(platform: Platform) -> None:
    """Right credentials bind (tx, rx, trx); a wrong password and an unknown system_id both get
    ESME_RINVPASWD; a locked account and a foreign address get ESME_RBINDFAIL."""
    await platform.account("acme", any_sender=True)
    await platform.account("other", any_sender=True)
    await platform.account("lockme", any_sender=True)
    await give_smpp(platform, "acme")
    await give_smpp(platform, "other", allowed=["10.0.0.0/8"])
    await give_smpp(platform, "lockme")
    lockme = await platform.runtime.stores.accounts.find_by_login("lockme")
    assert lockme is not None
    await platform.runtime.stores.accounts.set_locked(lockme.account.id, True)
    port = smpp_server(platform).port
    outcomes = []
    for login, password, kind in [
        ("acme", "secret", "tx"),
        ("acme", "secret", "rx"),
        ("acme", "secret", "trx"),
        ("acme", "wrong", "trx"),
        ("ghost", "secret", "trx"),
        ("lockme", "secret", "trx"),
        ("other", "secret", "trx"),
    ]:
        c = await Customer.connect(port)
        try:
            outcomes.append((await c.bind(login, password, kind)).status)
        finally:
            await c.close()
    assert [
        S.ESME_ROK,
        S.ESME_ROK,
        S.ESME_ROK,
        S.ESME_RINVPASWD,
        S.ESME_RINVPASWD,
        S.ESME_RBINDFAIL,
        S.ESME_RBINDFAIL,
    ] == outcomes


async def test_max_binds_and_failed_bind_cap(platform: Platform) -> None:
    """A second bind over max_binds=1 is refused; three failed binds close the connection."""
    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme", max_binds=1)
    port = smpp_server(platform).port
    first = await Customer.connect(port)
    second = await Customer.connect(port)
    brute = await Customer.connect(port)
    try:
        assert S.ESME_ROK == (await first.bind("acme")).status
        assert S.ESME_RBINDFAIL == (await second.bind("acme")).status
        for _ in range(3):
            assert S.ESME_RINVPASWD == (await brute.bind("acme", "guess")).status
        await asyncio.wait_for(brute.closed.wait(), 10)
    finally:
        for c in (first, second, brute):
            await c.close()


async def test_session_rules_enquire_link_unbind(platform: Platform) -> None:
    """submit_sm before bind and on a receiver bind get ESME_RINVBNDSTS; enquire_link is
    answered; an unknown command gets generic_nack ESME_RINVCMDID; unbind is answered and the
    server closes the connection."""
    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    port = smpp_server(platform).port
    c = await Customer.connect(port)
    rx = await Customer.connect(port)
    try:
        assert S.ESME_RINVBNDSTS == (await c.submit("79990001122")).status
        assert S.ESME_ROK == (await c.bind("acme")).status
        assert S.ESME_ROK == (await c.request(Pdu.enquire_link(1))).status
        seq = next(c.sequences)
        fut = asyncio.get_running_loop().create_future()
        c.waiting[seq] = fut
        c.writer.write(struct.pack(">IIII", 16, 0x00000077, 0, seq))
        nack = await asyncio.wait_for(fut, 10)
        assert (C.GENERIC_NACK, S.ESME_RINVCMDID) == (nack.command, nack.status)
        assert S.ESME_ROK == (await c.request(Pdu.unbind(1))).status
        await asyncio.wait_for(c.closed.wait(), 10)
        assert S.ESME_ROK == (await rx.bind("acme", kind="rx")).status
        assert S.ESME_RINVBNDSTS == (await rx.submit("79990001122")).status
    finally:
        await c.close()
        await rx.close()


async def test_framing_errors_close_and_server_stays_up(platform: Platform) -> None:
    """A command_length beyond the cap is answered with generic_nack and the connection closed
    before any body is read; the server keeps serving others."""
    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    port = smpp_server(platform).port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(struct.pack(">IIII", 10_000_000, 4, 0, 7))
    answer = await asyncio.wait_for(reader.read(), 10)
    length, command, status, seq = struct.unpack(">IIII", answer[:16])
    assert (16, C.GENERIC_NACK, S.ESME_RINVCMDLEN, 7) == (length, command, status, seq)
    writer.close()
    c = await Customer.connect(port)
    try:
        assert S.ESME_ROK == (await c.bind("acme")).status
    finally:
        await c.close()


async def test_pending_account_and_brute_force_address(platform: Platform) -> None:
    """A pending (not activated) account cannot bind; after 10 failed binds from one address
    within a minute even the right password gets ESME_RBINDFAIL from that address."""
    await platform.account("acme", any_sender=True)
    await platform.account("pend", any_sender=True)
    await give_smpp(platform, "acme")
    await give_smpp(platform, "pend")
    from sqlalchemy import update

    from smsrelay.store.schema import accounts

    async with platform.runtime.stores.db.write() as conn:
        await conn.execute(update(accounts).where(accounts.c.login == "pend").values(active=False))
    port = smpp_server(platform).port
    c = await Customer.connect(port)
    try:
        assert S.ESME_RBINDFAIL == (await c.bind("pend")).status
    finally:
        await c.close()
    failures = 1
    while failures < 10:
        c = await Customer.connect(port)
        try:
            for _ in range(min(3, 10 - failures)):
                assert S.ESME_RINVPASWD == (await c.bind("acme", "guess")).status
                failures += 1
        finally:
            await c.close()
    c = await Customer.connect(port)
    try:
        assert S.ESME_RBINDFAIL == (await c.bind("acme")).status
    finally:
        await c.close()


async def test_data_sm_and_scheduled_submit(platform: Platform) -> None:
    """data_sm is accepted like submit_sm (data_sm_resp with the id_sms); a submit_sm with a
    relative schedule_delivery_time is stored scheduled, not sent yet."""
    from smsrelay.domain.status import MessageStatus
    from smsrelay.smpp import Tag, Tlv

    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    c = await Customer.connect(smpp_server(platform).port)
    try:
        assert S.ESME_ROK == (await c.bind("acme")).status
        data = Pdu.data_sm(
            sequence=1,
            tlvs=(Tlv(Tag.MESSAGE_PAYLOAD, b"via data_sm"),),
            source_addr_ton=5,
            source_addr="Shop",
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr="79990001122",
        )
        resp = await c.request(data)
        assert (C.DATA_SM_RESP, S.ESME_ROK) == (resp.command, resp.status)
        later = await c.submit("79990001133", schedule_delivery_time="000000010000000R")
        assert S.ESME_ROK == later.status
    finally:
        await c.close()
    acme = await platform.runtime.stores.accounts.find_by_login("acme")
    assert acme is not None
    ids = [int(resp.str_param("message_id")), int(later.str_param("message_id"))]
    views = await platform.runtime.stores.messages.views(acme.account.id, ids)
    assert MessageStatus.SCHEDULED == views[ids[1]].status
