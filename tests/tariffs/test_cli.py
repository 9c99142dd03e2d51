"""``smsrelay tariff ...`` as an operator uses it: real processes, a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.test_cli import smsrelay


@pytest.mark.parametrize("command", ["create", "set", "assign", "show", "override", "statement"])
def test_tariff_commands_have_help(command: str, tmp_path: Path) -> None:
    assert "Usage:" in smsrelay("tariff", command, "--help", cwd=tmp_path).stdout


def test_tariff_create_set_assign_show(tmp_path: Path) -> None:
    """The default tariff stays ``price set``; a named tariff and an override price one
    account; ``show`` prints what it pays; mistakes are one line, exit 1."""
    db = f"sqlite:///{tmp_path}/cli.db"

    def run(*args: str) -> str:
        return smsrelay(*args, cwd=tmp_path, db=db).stdout

    run("migrate")
    run("account", "create", "dealer", "--password", "pw", "--balance", "10")
    run("account", "create", "client", "--password", "pw", "--parent", "dealer")
    run("price", "set", "7", "1.25", "--area", "Russia")
    assert "created" in run("tariff", "create", "wholesale")
    assert "0.6" in run("tariff", "set", "wholesale", "7", "0.60", "--area", "Russia")
    assert "tariff 'wholesale'" in run("tariff", "assign", "dealer", "wholesale")
    run("tariff", "override", "dealer", "7900", "0.55", "--area", "Mobile")
    out = run("tariff", "show", "--account", "dealer")
    assert "tariff wholesale" in out and "7900 Mobile: 0.55" in out and "7 Russia: 0.6" in out
    assert "7 Russia: 1.25" in run("tariff", "show", "--account", "client")
    run("tariff", "create", "retail", "--owner", "dealer")
    run("tariff", "set", "retail", "7", "2", "--area", "Russia", "--owner", "dealer")
    run("tariff", "assign", "client", "retail", "--owner", "dealer")
    assert "7 Russia: 2" in run("tariff", "show", "--account", "client")
    assert "client" in run("tariff", "show", "retail", "--owner", "dealer")
    assert "margin" in run("tariff", "statement", "dealer")
    for args in (
        ("tariff", "assign", "dealer", "retail", "--owner", "client"),  # not its sub-account
        ("tariff", "set", "nope", "7", "1"),
        ("tariff", "set", "wholesale", "7x", "1"),
        ("tariff", "create", "wholesale"),
    ):
        proc = smsrelay(*args, cwd=tmp_path, db=db, check=False)
        assert proc.returncode == 1, args
        assert "Traceback" not in proc.stderr


def test_stats_command(tmp_path: Path) -> None:
    """``smsrelay stats`` answers from the summary table (empty for a new account)."""
    db = f"sqlite:///{tmp_path}/cli.db"
    smsrelay("migrate", cwd=tmp_path, db=db)
    smsrelay("account", "create", "acme", "--password", "pw", cwd=tmp_path, db=db)
    out = smsrelay("stats", "acme", "--by", "status,campaign", cwd=tmp_path, db=db).stdout
    assert "status\tcampaign\tmessages\tparts\tcost" == out.strip()
    bad = smsrelay("stats", "acme", "--by", "planet", cwd=tmp_path, db=db, check=False)
    assert 1 == bad.returncode and "Traceback" not in bad.stderr
