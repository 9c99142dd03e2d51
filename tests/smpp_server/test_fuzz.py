"""Hostile input (hypothesis): any bytes fed to a customer connection, whole or in pieces, bound
or not, give answers or a closed connection, never an exception; the server keeps serving.

The connection runs in process on a recording transport (no socket needed to feed bytes), with
in-memory stand-ins for the database ports; the acceptance use case is a stand-in that accepts
everything (what is fuzzed here is the wire side)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smsrelay.clock import SystemClock
from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.money import Money
from smsrelay.services.commands import SendItem, SendResult
from smsrelay.services.smpp_access import BindGrant, BindRefusal, SmppAccess
from smsrelay.services.smpp_outbox import BindRow, BindStats, OutboxItem
from smsrelay.smpp import CommandId, Pdu, encode
from smsrelay.smpp_server import ServerSettings, SmppServer
from smsrelay.smpp_server.connection import CustomerConnection

ACCOUNT = Account(1, "acme", Lang.EN, False, True, Money(10**9))


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.out = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.out += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default


class _Platform:
    def __init__(self) -> None:
        self.n = 0

    async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]:
        self.n += 1
        return [SendResult(id_sms=self.n, parts=1)]


class _Access:
    async def check_bind(self, login: str, password: str, address: str) -> Any:
        if (login, password) == ("acme", "secret"):
            return BindGrant(ACCOUNT, SmppAccess(throughput=1000))
        return BindRefusal.INVALID_PASSWORD


class _Store:
    async def claim_outbox(self, *args: Any) -> list[OutboxItem]:
        return []

    async def ack_outbox(self, ids: Sequence[int]) -> None: ...
    async def retry_outbox(self, ids: Sequence[int], next_at: datetime) -> None: ...
    async def prune_outbox(self, before: datetime) -> int:
        return 0

    async def add_bind(self, row: BindRow) -> None: ...
    async def remove_bind(self, bind_id: str) -> None: ...
    async def refresh_binds(self, stats: Sequence[BindStats], now: datetime) -> set[str]:
        return set()

    async def live_binds(self, since: datetime) -> list[BindRow]:
        return []

    async def count_live_binds(self, account_id: int, since: datetime) -> int:
        return 0

    async def kick(self, login: str) -> int:
        return 0

    async def prune_binds(self, before: datetime) -> None: ...


BIND = encode(Pdu.bind(CommandId.BIND_TRANSCEIVER, sequence=1, system_id="acme", password="secret"))
_valid = st.sampled_from(
    [
        BIND,
        encode(Pdu.enquire_link(2)),
        encode(
            Pdu.submit_sm(
                sequence=3, source_addr="Shop", dest_addr_ton=1, destination_addr="79990001122",
                short_message=b"hi",
            )
        ),
        encode(Pdu.unbind(4)),
    ]
)  # fmt: skip
_chunks = st.lists(st.one_of(st.binary(max_size=64), _valid), max_size=12)


async def _feed(chunks: list[bytes], bind_first: bool) -> None:
    server = SmppServer(ServerSettings(port=0), _Platform(), _Access(), _Store(), SystemClock())
    conn = CustomerConnection(server)
    transport = _Transport()
    conn.connection_made(transport)
    if bind_first:
        conn.data_received(BIND)
        await asyncio.sleep(0.01)  # the bind check runs in a task
    for chunk in chunks:
        if transport.closed:
            break
        conn.data_received(chunk)
        await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)
    conn.connection_lost(None)
    if server._tasks:
        await asyncio.wait(list(server._tasks), timeout=5)
    assert len(transport.out) < 64 * 1024 * 16


@settings(max_examples=200, deadline=None)
@given(chunks=_chunks, bind_first=st.booleans())
def test_any_bytes_never_break_a_connection(chunks: list[bytes], bind_first: bool) -> None:
    """Whatever arrives, handling it raises nothing and the answers stay bounded."""
    asyncio.run(_feed(chunks, bind_first))


async def test_the_in_process_harness_binds_and_submits() -> None:
    """The harness above really reaches the bound state: a bind then a submit_sm get
    bind_transceiver_resp and submit_sm_resp ESME_ROK with the stand-in's id."""
    from smsrelay.smpp import decode, parse_header

    server = SmppServer(ServerSettings(port=0), _Platform(), _Access(), _Store(), SystemClock())
    conn = CustomerConnection(server)
    transport = _Transport()
    conn.connection_made(transport)
    conn.data_received(BIND)
    await asyncio.sleep(0.01)
    submit = encode(
        Pdu.submit_sm(
            sequence=3, source_addr="Shop", dest_addr_ton=1, destination_addr="79990001122",
            short_message=b"hi",
        )
    )  # fmt: skip
    conn.data_received(submit)
    await asyncio.sleep(0.01)
    out, pdus = bytes(transport.out), []
    while out:
        length = parse_header(out)[0]
        pdus.append(decode(out[:length]))
        out = out[length:]
    assert [(CommandId.BIND_TRANSCEIVER_RESP, 0), (CommandId.SUBMIT_SM_RESP, 0)] == [
        (p.command, p.status) for p in pdus
    ]
    assert "1" == pdus[1].str_param("message_id")
    conn.connection_lost(None)


async def test_busy_bind_answers_msgqful() -> None:
    """While max_pending_submits submit_sm of a bind await acceptance, the next one gets
    ESME_RMSGQFUL at once (and is not sent to the platform)."""
    from smsrelay.smpp import decode, parse_header

    release = asyncio.Event()

    class _Slow(_Platform):
        async def send(self, account: Account, items: Sequence[SendItem]) -> list[SendResult]:
            await release.wait()
            return await super().send(account, items)

    platform = _Slow()
    settings = ServerSettings(port=0, max_pending_submits=1)
    server = SmppServer(settings, platform, _Access(), _Store(), SystemClock())
    conn = CustomerConnection(server)
    transport = _Transport()
    conn.connection_made(transport)
    conn.data_received(BIND)
    await asyncio.sleep(0.01)
    for seq in (3, 4):
        conn.data_received(
            encode(
                Pdu.submit_sm(
                    sequence=seq, source_addr="Shop", dest_addr_ton=1,
                    destination_addr="79990001122", short_message=b"hi",
                )
            )
        )  # fmt: skip
    release.set()
    await asyncio.sleep(0.01)
    out, pdus = bytes(transport.out), []
    while out:
        length = parse_header(out)[0]
        pdus.append(decode(out[:length]))
        out = out[length:]
    answers = {p.sequence: p.status for p in pdus if p.command is CommandId.SUBMIT_SM_RESP}
    assert {3: 0, 4: 0x14} == answers
    assert 1 == platform.n
    conn.connection_lost(None)


async def test_caps_per_address() -> None:
    """Connections from one address are capped, and an address that sent too many bad PDUs in
    the last minute gets its new connections closed at once."""
    import struct

    settings = ServerSettings(port=0, max_connections_per_address=2, max_bad_pdus_per_address=3)
    server = SmppServer(settings, _Platform(), _Access(), _Store(), SystemClock())
    transports = []
    for _ in range(3):
        conn = CustomerConnection(server)
        transports.append(_Transport())
        conn.connection_made(transports[-1])
    assert [False, False, True] == [t.closed for t in transports]
    first = next(iter(server.connections))
    for seq in range(3):
        first.data_received(struct.pack(">IIII", 16, 0x77, 0, seq + 1))  # unknown command
    for c in list(server.connections):
        c.connection_lost(None)
    late = _Transport()
    CustomerConnection(server).connection_made(late)
    assert late.closed
