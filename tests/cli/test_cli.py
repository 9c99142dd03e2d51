"""The ``smsrelay`` command as operators and scripts use it: real processes, a real database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    [],
    ["serve"],
    ["migrate"],
    ["account"],
    ["account", "create"],
    ["account", "topup"],
    ["account", "lock"],
    ["account", "unlock"],
    ["sender"],
    ["sender", "add"],
    ["price"],
    ["price", "set"],
    ["send"],
    ["simulator"],
    ["account", "activate"],
    ["account", "list"],
    ["sender", "approve"],
    ["sender", "reject"],
    ["sender", "list"],
    ["account", "timezone"],
    ["webhook"],
    ["webhook", "set"],
    ["webhook", "show"],
    ["webhook", "remove"],
    ["number"],
    ["number", "add"],
    ["number", "list"],
    ["number", "remove"],
    ["simulate", "mo"],
    ["simulate"],
    ["simulate", "fault"],
    ["connector"],
    ["connector", "add"],
    ["connector", "list"],
    ["connector", "remove"],
    ["connector", "load"],
    ["route"],
    ["route", "add"],
    ["route", "list"],
    ["route", "remove"],
    ["account", "limit"],
    ["status"],
    ["messages"],
    ["messages", "search"],
    ["messages", "show"],
    ["price", "list"],
    ["account", "show"],
    ["account", "password"],
    ["account", "token"],
    ["stoplist"],
    ["stoplist", "add"],
    ["stoplist", "remove"],
    ["stoplist", "list"],
    ["sender", "remove"],
    ["connector", "query-sm"],
    ["config"],
    ["config", "show"],
    ["account", "smpp"],
    ["smpp"],
    ["smpp", "binds"],
    ["smpp", "kick"],
]

LOCAL_PORTS = ("--port", "0", "--simulator-port", "0", "--smpp-server-port", "0")


def smsrelay(
    *args: str,
    cwd: Path,
    db: str | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {**(os.environ if env is None else env)}
    if db:
        env["SMSRELAY_DATABASE_URL"] = db
    proc = subprocess.run(
        [sys.executable, "-m", "smsrelay", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "smsrelay")
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    """``--help`` works for every command and says what it does."""
    proc = smsrelay(*command, "--help", cwd=tmp_path)
    assert "Usage:" in proc.stdout


def test_admin_commands_against_a_database(tmp_path: Path) -> None:
    """migrate, account create/topup/lock/unlock, sender add, price set: each prints one line."""
    db = f"sqlite:///{tmp_path}/cli.db"
    assert "up to date" in smsrelay("migrate", cwd=tmp_path, db=db).stdout
    out = smsrelay(
        "account",
        "create",
        "acme",
        "--password",
        "pw",
        "--balance",
        "12.5",
        "--lang",
        "en",
        "--token",
        "tok-1",
        cwd=tmp_path,
        db=db,
    ).stdout
    assert "created account acme" in out and "12.5" in out
    assert "balance 20" in smsrelay("account", "topup", "acme", "7.5", cwd=tmp_path, db=db).stdout
    assert "locked" in smsrelay("account", "lock", "acme", cwd=tmp_path, db=db).stdout
    assert "unlocked" in smsrelay("account", "unlock", "acme", cwd=tmp_path, db=db).stdout
    assert "order" in smsrelay("sender", "add", "acme", "MyShop", cwd=tmp_path, db=db).stdout
    assert (
        "completed"
        in smsrelay("sender", "add", "acme", "Other", "--approve", cwd=tmp_path, db=db).stdout
    )
    out = smsrelay("price", "set", "7", "1.25", "--area", "Russia", cwd=tmp_path, db=db).stdout
    assert "1.25" in out and "Russia" in out


def test_errors_are_one_line_and_nonzero(tmp_path: Path) -> None:
    """An impossible command fails with exit 1 and one clear line, no traceback."""
    db = f"sqlite:///{tmp_path}/cli.db"
    smsrelay("migrate", cwd=tmp_path, db=db)
    cases = [
        ("account", "topup", "nobody", "5"),
        ("account", "create", "x", "--password", "p", "--balance", "lots"),
        ("sender", "add", "nobody", "Shop"),
        ("price", "set", "7x", "1", "--area", "Bad"),
    ]
    for args in cases:
        proc = smsrelay(*args, cwd=tmp_path, db=db, check=False)
        assert proc.returncode != 0, args
        assert "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) <= 3, proc.stderr
    smsrelay("account", "create", "dup", "--password", "p", cwd=tmp_path, db=db)
    proc = smsrelay("account", "create", "dup", "--password", "p", cwd=tmp_path, db=db, check=False)
    assert proc.returncode == 1 and "already taken" in proc.stderr


def test_serve_then_send_delivers(tmp_path: Path) -> None:
    """`smsrelay serve` starts on a fresh directory with a demo account; `smsrelay send` from
    another process delivers through the built-in simulator; SIGTERM stops it cleanly."""
    env = {**os.environ, "SMSRELAY_SIMULATOR_RECEIPT_DELAY": "0"}
    server = subprocess.Popen(
        [*(sys.executable, "-m", "smsrelay", "serve"), "--demo", *LOCAL_PORTS],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = None
        for line in server.stdout:
            if "smsrelay is ready" in line:
                url = line.split("API on ")[1].split()[0]
                break
        assert url, server.stderr.read() if server.stderr else ""
        assert (tmp_path / "var" / "smsrelay.db").exists()
        assert (tmp_path / "var" / "smsrelay.db.demo-account.txt").exists()
        proc = smsrelay(
            "send",
            "--to",
            "79001234567",
            "--text",
            "hello",
            "--url",
            url,
            "--timeout",
            "30",
            cwd=tmp_path,
        )
        assert proc.stdout.strip().endswith(": deliver"), proc.stdout
        proc = smsrelay(
            "send",
            "--to",
            "79001239001",
            "--text",
            "hello",
            "--url",
            url,
            cwd=tmp_path,
            check=False,
        )
        assert proc.stdout.strip().endswith(": not_deliver"), proc.stdout + proc.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    assert 0 == code
