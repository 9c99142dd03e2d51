"""``smsrelay number add --auto-reply`` and ``smsrelay number reply`` as an operator uses them
(separate processes, SQLite)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .test_cli import smsrelay


def replies(tmp_path: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(tmp_path / "var" / "smsrelay.db") as conn:
        rows = conn.execute(
            "SELECT number, keyword, auto_reply FROM inbound_numbers ORDER BY number, keyword"
        )
        return [tuple(r) for r in rows]


def test_number_auto_reply_set_and_cleared(tmp_path: Path) -> None:
    smsrelay("migrate", cwd=tmp_path)
    smsrelay("account", "create", "ann", "--password", "pw", cwd=tmp_path)
    smsrelay("account", "create", "bob", "--password", "pw", cwd=tmp_path)
    out = smsrelay(
        "number",
        "add",
        "ann",
        "3443",
        "--prefix",
        "info",
        "--auto-reply",
        "Open 9-18",
        cwd=tmp_path,
    ).stdout
    assert "ann: number 3443 (keyword INFO)\n" == out
    smsrelay("number", "add", "ann", "3443", cwd=tmp_path)
    out = smsrelay("number", "reply", "ann", "3443", "Спасибо!", cwd=tmp_path).stdout
    assert "ann: auto-reply set on 3443\n" == out
    assert [("3443", "", "Спасибо!"), ("3443", "INFO", "Open 9-18")] == replies(tmp_path)
    out = smsrelay("number", "reply", "ann", "3443", "--prefix", "Info", "--clear", cwd=tmp_path)
    assert "ann: auto-reply cleared on 3443 Info\n" == out.stdout
    assert [("3443", "", "Спасибо!"), ("3443", "INFO", None)] == replies(tmp_path)
    bad = smsrelay("number", "reply", "bob", "3443", "x", cwd=tmp_path, check=False)
    assert (1, "Error: no such number/keyword of the account: 3443\n") == (
        bad.returncode,
        bad.stderr,
    )
    both = smsrelay("number", "reply", "ann", "3443", "x", "--clear", cwd=tmp_path, check=False)
    assert 2 == both.returncode and "give TEXT or --clear" in both.stderr
