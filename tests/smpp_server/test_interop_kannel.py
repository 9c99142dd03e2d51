"""Kannel (Debian package ``kannel``) as a customer: a bearerbox whose ``smsc = smpp`` group
binds to our SMPP server as a transceiver, messages sent through smsbox's ``sendsms`` HTTP
interface, delivered by smsrelay to the simulator carrier, and Kannel's DLR URL called back with
the final state. All ports are chosen free at run time. ``.ci/run`` installs Kannel."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from e2e.conftest import Platform, start_platform

from .conftest import give_smpp, smpp_server

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(f"sqlite:///{tmp_path / 'smsrelay.db'}", tmp_path):
        yield p


class DlrSink:
    """A tiny HTTP server that records the query of every request (Kannel's DLR calls)."""

    def __init__(self) -> None:
        self.calls: asyncio.Queue[dict[str, list[str]]] = asyncio.Queue()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode("latin-1")
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass
        target = line.split(" ")[1] if " " in line else "/"
        self.calls.put_nowait(parse_qs(urlsplit(target).query))
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def _config(tmp: Path, smpp_port: int, admin: int, box: int, sendsms: int) -> Path:
    path = tmp / "kannel.conf"
    path.write_text(
        f"""
group = core
admin-port = {admin}
admin-password = adminpw
smsbox-port = {box}
log-file = "{tmp}/bearerbox.log"
log-level = 1
access-log = "{tmp}/access.log"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = smsrelay
host = 127.0.0.1
port = {smpp_port}
transceiver-mode = true
smsc-username = acme
smsc-password = secret
system-type = ""
source-addr-ton = 5
source-addr-npi = 0
dest-addr-ton = 1
dest-addr-npi = 1
msg-id-type = 0x00
enquire-link-interval = 30
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {sendsms}
log-file = "{tmp}/smsbox.log"
log-level = 1

group = sendsms-user
username = shop
password = shoppw
max-messages = 3
concatenation = true
"""
    )
    return path


@pytest.fixture
def kannel_ports() -> Iterator[tuple[int, int, int]]:
    yield _free_port(), _free_port(), _free_port()


async def _wait_bound(platform: Platform) -> None:
    server = smpp_server(platform)
    async with asyncio.timeout(60):
        # Kannel is another process: poll for its bind
        while not any(c.binding is not None for c in server.connections):  # noqa: ASYNC110
            await asyncio.sleep(0.1)


async def test_kannel_sends_and_gets_its_dlr(
    platform: Platform, tmp_path: Path, kannel_ports: tuple[int, int, int]
) -> None:
    """sendsms -> Kannel -> our SMPP server -> simulator; Kannel's DLR URL is called with the
    delivered state (type 1) for the message, and the account was charged once."""
    await platform.account("acme", balance="100", any_sender=True)
    await give_smpp(platform, "acme")
    admin, box, sendsms = kannel_ports
    conf = _config(tmp_path, smpp_server(platform).port, admin, box, sendsms)
    sink = DlrSink()
    await sink.start()
    bearer = await asyncio.create_subprocess_exec(
        BEARERBOX, str(conf), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path
    )
    smsbox = None
    try:
        await _wait_bound(platform)
        smsbox = await asyncio.create_subprocess_exec(
            SMSBOX, str(conf), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path
        )
        dlr_url = f"http://127.0.0.1:{sink.port}/dlr?type=%d&to=%p&reply=%A"
        params = {
            "username": "shop",
            "password": "shoppw",
            "from": "Shop",
            "to": "79990001122",
            "text": "hello from kannel",
            "dlr-mask": "3",
            "dlr-url": dlr_url,
        }
        async with httpx.AsyncClient(timeout=10) as http:
            async with asyncio.timeout(60):
                while True:
                    try:
                        r = await http.get(
                            f"http://127.0.0.1:{sendsms}/cgi-bin/sendsms", params=params
                        )
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)  # smsbox still starting
        assert r.status_code in (200, 202), r.text
        async with asyncio.timeout(60):
            while True:
                call = await sink.calls.get()
                if call.get("type") == ["1"]:
                    break
        assert ["79990001122"] == call["to"]
        assert "99" == (await platform.balance("acme"))["money"]
    finally:
        for proc in (smsbox, bearer):
            if proc is not None:
                proc.terminate()
        for proc in (smsbox, bearer):
            if proc is not None:
                try:
                    await asyncio.wait_for(proc.wait(), 15)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
        await sink.stop()
