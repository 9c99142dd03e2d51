"""A real ``smsrelay serve`` process for the crash and shutdown tests: its SQLite file in the
test's tmp dir, delivering to a simulator that runs in the test process (so the simulator
outlives the platform and sees every submit and unbind of both runs)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from smsrelay.bootstrap import open_stores
from smsrelay.clock import SystemClock
from smsrelay.config import Settings
from smsrelay.domain.messages import Channel
from smsrelay.domain.money import Money
from smsrelay.services.admin import AdminService

FINAL = ("delivered", "read", "undelivered", "expired", "partly_delivered", "rejected", "cancelled")
TOKEN = "fault-token"


async def prepare_database(
    db_path: Path, balance: str = "10000000", viber_price: str | None = None
) -> str:
    """Migrate, create the ``load`` account (token :data:`TOKEN`) and the SMS price of ``7``
    (and its Viber price when given)."""
    url = f"sqlite:///{db_path}"
    stores = await open_stores(Settings(database_url=url))
    try:
        admin = AdminService(stores.accounts, SystemClock())
        await admin.create_account(
            "load", "pw-load", token=TOKEN, balance=Money.parse(balance), any_sender=True
        )
        await admin.set_price("7", Money.parse("0.01"), "Russia", Channel.SMS)
        if viber_price is not None:
            await admin.set_price("7", Money.parse(viber_price), "Russia", Channel.VIBER)
    finally:
        await stores.close()
    return url


def _spawn(
    tmp: Path,
    out: Path,
    log: Path,
    smpp_port: int,
    environ: dict[str, str],
) -> subprocess.Popen[bytes]:
    """``smsrelay serve`` delivering to the simulator on ``smpp_port`` (Popen returns at once)."""
    with out.open("wb") as stdout, log.open("wb") as stderr:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smsrelay",
                "serve",
                "--port",
                "0",
                "--smpp-server-port",
                "0",
                "--no-simulator",
                "--smpp-host",
                "127.0.0.1",
                "--smpp-port",
                str(smpp_port),
                "--smpp-system-id",
                "smsrelay",
                "--smpp-password",
                "smsrelay",
            ],
            stdout=stdout,
            stderr=stderr,
            cwd=tmp,
            env=environ,
        )


@dataclass
class Serve:
    proc: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @classmethod
    async def start(
        cls,
        tmp: Path,
        url: str,
        smpp_port: int,
        run: int,
        **env: str,
    ) -> Serve:
        """Start ``smsrelay serve`` and return once it prints that it is ready (bounded)."""
        out = tmp / f"serve-{run}.out"
        log = tmp / f"serve-{run}.log"
        environ = {
            **os.environ,
            "SMSRELAY_DATABASE_URL": url,
            "SMSRELAY_LOG_LEVEL": "warning",
            "SMSRELAY_DATA_DIR": str(tmp),
            **env,
        }
        proc = _spawn(tmp, out, log, smpp_port, environ)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = out.read_text(errors="replace")
            if "smsrelay is ready" in text:
                url_part = text.split("API on ")[1].split()[0]
                return cls(proc, url_part, log)
            if proc.poll() is not None:
                raise AssertionError(f"serve exited {proc.returncode}: {log.read_text()[-2000:]}")
            await asyncio.sleep(0.05)  # a subprocess: poll with a deadline
        proc.kill()
        proc.wait()
        raise AssertionError("serve did not get ready within 60 s")

    def reap(self) -> None:
        """Whatever happened in the test: the process is gone afterwards."""
        if self.proc.poll() is None:
            self.kill()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    async def terminate(self, within: float = 60.0) -> int:
        """SIGTERM, then the exit code (bounded wait)."""
        self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + within
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("serve did not exit within the bound after SIGTERM")
            await asyncio.sleep(0.05)
        return self.proc.returncode


def query(db_path: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of a read-only query (SQLite gives ints, strings and None: typed as Any)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def pending(db_path: Path) -> int:
    marks = ",".join("?" * len(FINAL))
    rows = query(db_path, f"SELECT count(*) FROM messages WHERE status NOT IN ({marks})", *FINAL)
    return int(rows[0][0])


async def until(check: Callable[[], bool], what: str, within: float) -> None:
    """Until ``check()`` holds, or fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.1)  # a subprocess and its database: poll with a deadline


async def wait_all_final(db_path: Path, within: float) -> None:
    deadline = time.monotonic() + within
    while (left := pending(db_path)) > 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{left} messages still not final after {within} s")
        await asyncio.sleep(0.2)  # a subprocess: poll the database with a deadline


def bulk_body(phones: list[str], text: str = "Your code is 1234") -> dict[str, object]:
    return {
        "token": TOKEN,
        "message": [
            {
                "type_send_1": "sms",
                "sender": "Shop",
                "text": text,
                "phones": [{"phone": p} for p in phones],
            }
        ],
    }


async def post_bulk(
    http: httpx.AsyncClient, base_url: str, phones: list[str], text: str = "Your code is 1234"
) -> list[int]:
    """The id_sms the platform answered with (raises httpx errors when it is gone)."""
    r = await http.post(f"{base_url}/json", json=bulk_body(phones, text))
    r.raise_for_status()
    info = r.json()["information"]
    assert all(e.get("state") == "send" for e in info), info[:3]
    return [int(e["id_sms"]) for e in info]
