"""Several server instances on one database (the scale-out design), and a restart: a receipt
owed to a customer reaches whichever instance holds its receiver bind, and one that was sent
but never acknowledged when an instance stopped is sent again by the next one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from e2e.conftest import Platform
from smsrelay.services.smpp_access import SmppAccessService
from smsrelay.smpp import CommandStatus, Pdu, Tag, tlv_str
from smsrelay.smpp_server import ServerSettings, SmppServer
from smsrelay.store import Database
from smsrelay.store.smpp_server import SqlSmppServerStore

from .conftest import Customer, give_smpp, smpp_server

S = CommandStatus


@asynccontextmanager
async def other_instance(platform: Platform, **settings: float) -> AsyncIterator[SmppServer]:
    """A second SMPP server with its own connection pool on the same database (as another
    ``smsrelay serve`` process would have), accepting through the same use case."""
    db = await Database.open(platform.runtime.settings.database_url)
    store = SqlSmppServerStore(db)
    server = SmppServer(
        ServerSettings(port=0, poll_interval=0.05, **settings),  # type: ignore[arg-type]
        platform.runtime.platform,
        SmppAccessService(store, platform.runtime.stores.accounts, platform.clock),
        store,
        platform.clock,
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        await db.close()


async def test_receipt_reaches_the_instance_holding_the_receiver(platform: Platform) -> None:
    """Submitted on instance A, the receipt goes out on instance B where the receiver is bound;
    both instances list their binds in the shared table."""
    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    a = smpp_server(platform)
    async with other_instance(platform) as b:
        rx = await Customer.connect(b.port)
        tx = await Customer.connect(a.port)
        try:
            assert S.ESME_ROK == (await rx.bind("acme", kind="rx")).status
            assert S.ESME_ROK == (await tx.bind("acme", kind="tx")).status
            store = SqlSmppServerStore(platform.runtime.stores.db)
            binds = await store.live_binds(platform.clock.now().replace(year=2000))
            assert {("rx", b.node), ("tx", a.node)} == {(r.bind_type, r.node) for r in binds}
            resp = await tx.submit("79990001122", registered_delivery=1)
            receipt = await rx.next_delivered()
            assert resp.str_param("message_id") == tlv_str(
                receipt.tlv(Tag.RECEIPTED_MESSAGE_ID)  # type: ignore[arg-type]
            )
            assert tx.delivered.empty()
        finally:
            await rx.close()
            await tx.close()


async def test_unacknowledged_receipt_is_sent_again_after_a_restart(platform: Platform) -> None:
    """An instance stops while its customer has not answered a deliver_sm: the next instance
    sends the same receipt again once the customer binds to it."""
    await platform.account("acme", any_sender=True)
    await give_smpp(platform, "acme")
    async with other_instance(platform, retry_delay=0.0) as first:
        c = await Customer.connect(first.port)
        c.deliver_status = None  # the customer never answers
        assert S.ESME_ROK == (await c.bind("acme")).status
        resp = await c.submit("79990001122", registered_delivery=1)
        unanswered = await c.next_delivered()
        await c.close()
    async with other_instance(platform) as second:
        c = await Customer.connect(second.port)
        try:
            assert S.ESME_ROK == (await c.bind("acme", kind="rx")).status
            again = await c.next_delivered()
            # answered in order: once enquire_link_resp is here, the deliver_sm_resp was read
            assert S.ESME_ROK == (await c.request(Pdu.enquire_link(1))).status
        finally:
            await c.close()
    ids = {
        tlv_str(p.tlv(Tag.RECEIPTED_MESSAGE_ID))  # type: ignore[arg-type]
        for p in (unanswered, again)
    }
    assert {resp.str_param("message_id")} == ids
    store = SqlSmppServerStore(platform.runtime.stores.db)
    acme = await platform.runtime.stores.accounts.find_by_login("acme")
    assert acme is not None
    assert 0 == await store.outbox_size(acme.account.id)
