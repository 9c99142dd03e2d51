"""``smsrelay number add`` and ``smsrelay simulate mo`` as operators use them: a real
``smsrelay serve`` process, the CLI in other processes, X7 over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from xml.etree.ElementTree import fromstring

import httpx

from .conftest import x7_body

LOCAL_PORTS = ("--port", "0", "--simulator-port", "0", "--smpp-server-port", "0")


def smsrelay(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "smsrelay", *args],
        cwd=cwd,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_simulate_mo_reaches_x7_of_a_running_server(tmp_path: Path) -> None:
    """`number add` routes a number to the demo account; `simulate mo` makes the simulator of a
    running `serve` send an MO over SMPP; X7 lists it; mistakes are one line, exit 1."""
    server = subprocess.Popen(
        [*(sys.executable, "-m", "smsrelay", "serve"), "--demo", *LOCAL_PORTS],
        cwd=tmp_path,
        env={**os.environ, "SMSRELAY_SIMULATOR_RECEIPT_DELAY": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = ""
        for line in server.stdout:
            if "smsrelay is ready" in line:
                ready = line
                break
        assert ready, server.stderr.read() if server.stderr else ""
        url = ready.split("API on ")[1].split()[0]
        sim_port = ready.split("simulator SMSC on ")[1].strip().rsplit(":", 1)[1]
        demo = (tmp_path / "var" / "smsrelay.db.demo-account.txt").read_text()
        password = demo.split("password:")[1].split()[0]

        out = smsrelay("number", "add", "demo", "3443", "--prefix", "igra", cwd=tmp_path).stdout
        assert "demo: number 3443 (keyword IGRA)\n" == out
        assert "3443\tIGRA\tdemo\n" == smsrelay("number", "list", cwd=tmp_path).stdout

        out = smsrelay(
            "simulate", "mo", "79161234567", "3443", "igra Привет", "--port", sim_port, cwd=tmp_path
        ).stdout
        assert "delivered to the platform" in out
        body = x7_body("demo", "2000-01-01 00:00:00").replace(b"pw-demo", password.encode())
        answer = fromstring(httpx.post(f"{url}/xml/incoming.php", content=body, timeout=30).content)
        assert [("79161234567", "IGRA", "3443", "igra Привет")] == [
            (s.get("originator"), s.get("prefix"), s.get("phone"), s.text)
            for s in answer.findall("sms")
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    assert 0 == code
    down = smsrelay(
        "simulate",
        "mo",
        "1",
        "2",
        "x",
        "--port",
        sim_port,
        "--timeout",
        "5",
        cwd=tmp_path,
        check=False,
    )
    assert 1 == down.returncode and "cannot reach the simulator" in down.stderr
    assert 1 == len(down.stderr.strip().splitlines())
