"""A whole platform with its customer SMPP server on a loopback port, and a small asyncio SMPP
customer built on our own sans-I/O session (ESME role) to talk to it precisely."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.services.smpp_access import SmppAccessService
from smsrelay.smpp import CommandId, Pdu, decode, encode, parse_header
from smsrelay.smpp_server import SmppServer
from smsrelay.store.smpp_server import SqlSmppServerStore

C = CommandId


def smpp_server(platform: Platform) -> SmppServer:
    server = platform.runtime.extras["smpp_server"]
    assert isinstance(server, SmppServer)
    return server


async def give_smpp(platform: Platform, login: str, password: str = "secret", **kw: Any) -> None:
    store = SqlSmppServerStore(platform.runtime.stores.db)
    svc = SmppAccessService(store, platform.runtime.stores.accounts, platform.clock)
    await svc.configure(login, password, **kw)


class Customer:
    """One SMPP connection as a customer, with no session rules of its own (so tests can send
    what a well-behaved client would not): requests are awaited by sequence; deliver_sm are
    queued in ``delivered`` and answered with ``deliver_status`` (None: never answered)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.sequences = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[Pdu]] = {}
        self.delivered: asyncio.Queue[Pdu] = asyncio.Queue()
        self.deliver_status: int | None = 0
        self.closed = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, port: int) -> Customer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def _read(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(16)
                length = parse_header(header)[0]
                event = decode(header + await self.reader.readexactly(length - 16))
                if event.is_response:
                    fut = self.waiting.pop(event.sequence, None)
                    if fut is not None and not fut.done():
                        fut.set_result(event)
                elif event.command is C.DELIVER_SM:
                    self.delivered.put_nowait(event)
                    if self.deliver_status is not None:
                        self.raw(event.response(self.deliver_status, (), message_id=""))
                elif event.command in (C.UNBIND, C.ENQUIRE_LINK):
                    self.raw(event.response())
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            return
        finally:
            self.closed.set()
            for fut in self.waiting.values():
                if not fut.done():
                    fut.cancel()

    def raw(self, pdu: Pdu) -> None:
        self.writer.write(encode(pdu))

    async def request(self, pdu: Pdu, wait: float = 10.0) -> Pdu:
        seq = next(self.sequences)
        pdu = pdu.with_sequence(seq)
        fut: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        self.waiting[seq] = fut
        self.raw(pdu)
        return await asyncio.wait_for(fut, wait)

    async def bind(self, login: str, password: str = "secret", kind: str = "trx") -> Pdu:
        command = {"trx": C.BIND_TRANSCEIVER, "tx": C.BIND_TRANSMITTER, "rx": C.BIND_RECEIVER}
        return await self.request(
            Pdu.bind(command[kind], sequence=1, system_id=login, password=password)
        )

    async def submit(self, destination: str, text: bytes = b"hello", **params: Any) -> Pdu:
        fields: dict[str, Any] = {
            "source_addr_ton": 5,
            "source_addr": "Shop",
            "dest_addr_ton": 1,
            "dest_addr_npi": 1,
            "destination_addr": destination,
            "short_message": text,
            **params,
        }
        tlvs = fields.pop("tlvs", ())
        return await self.request(Pdu.submit_sm(sequence=1, tlvs=tlvs, **fields))

    async def next_delivered(self, wait: float = 10.0) -> Pdu:
        return await asyncio.wait_for(self.delivered.get(), wait)

    async def close(self) -> None:
        self.writer.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p
