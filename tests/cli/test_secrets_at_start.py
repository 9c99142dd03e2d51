"""Secrets at start: the database password never shown, the demo account only when asked,
printed once and kept in a 0600 file of its own database, concurrent first starts."""

from __future__ import annotations

import socket
import sqlite3
import stat
from pathlib import Path

import pytest

from conftest import fresh_postgres_database
from smsrelay.config import demo_account_path, mask_url

from .serving import serving, spawn, stop, wait_ready
from .test_cli import smsrelay

LOCAL = ["--port", "0", "--simulator-port", "0"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/sms", "postgresql://app:***@db:5432/sms"),
        ("postgres://app:p@ss/w@db/sms", "postgres://app:***@db/sms"),
        ("postgresql://app@db/sms", "postgresql://app@db/sms"),
        ("postgresql:///sms?user=app&password=s3cret", "postgresql:///sms?user=app&password=***"),
        ("sqlite:///var/smsrelay.db", "sqlite:///var/smsrelay.db"),
    ],
)
def test_database_urls_are_shown_with_the_password_masked(url: str, shown: str) -> None:
    """Every way of writing a password in a database URL is masked; the rest is kept."""
    assert shown == mask_url(url)


def test_each_database_has_its_own_demo_file() -> None:
    """SQLite: next to the file; PostgreSQL: in the data folder, named after the database."""
    assert Path("var/smsrelay.db.demo-account.txt") == demo_account_path(
        "sqlite:///var/smsrelay.db", "var"
    )
    assert Path("/srv/a.db.demo-account.txt") == demo_account_path("sqlite:////srv/a.db", "var")
    assert demo_account_path("postgresql://u@h/one", "d") != demo_account_path(
        "postgresql://u@h/two", "d"
    )


def test_a_production_start_creates_no_account_and_no_prices(tmp_path: Path) -> None:
    """`serve --no-simulator --smpp-host …` (no --demo): no funded account, no demo prices, no
    credentials printed or written."""
    args = ["--port", "0", "--no-simulator", "--smpp-host", "127.0.0.1"]
    args += ["--smpp-port", str(_closed_port())]
    with serving(args, tmp_path) as server:
        pass
    db = tmp_path / "var" / "smsrelay.db"
    assert [(0,)] == _rows(db, "SELECT count(*) FROM accounts")
    assert [(0,)] == _rows(db, "SELECT count(*) FROM prices")
    assert not list((tmp_path / "var").glob("*demo*"))
    assert "password" not in server.output


def test_the_demo_account_is_printed_once_and_kept_private(tmp_path: Path) -> None:
    """`serve --demo`: the first start prints the credentials and keeps them in a 0600 file
    next to the database; later starts only say where that file is."""
    with serving(["--demo", *LOCAL], tmp_path) as first:
        pass
    path = tmp_path / "var" / "smsrelay.db.demo-account.txt"
    text = path.read_text()
    password = text.split("password:")[1].split()[0]
    token = text.split("token:")[1].split()[0]
    assert 0o600 == stat.S_IMODE(path.stat().st_mode)
    assert password in first.output and token in first.output
    assert 1 == first.output.count(password)

    with serving(["--demo", *LOCAL], tmp_path) as second:
        pass
    printed = second.output
    assert password not in printed and token not in printed
    assert str(Path("var") / "smsrelay.db.demo-account.txt") in printed
    assert text == path.read_text()


def test_another_databases_demo_never_overwrites_this_one(tmp_path: Path) -> None:
    """Two databases in one folder, each with --demo: two files, each its own account."""
    with serving(["--demo", *LOCAL], tmp_path):
        pass
    with serving(["--demo", *LOCAL, "--database", "sqlite:///var/other.db"], tmp_path):
        pass
    one = (tmp_path / "var" / "smsrelay.db.demo-account.txt").read_text()
    other = (tmp_path / "var" / "other.db.demo-account.txt").read_text()
    assert one != other


def test_two_processes_starting_together_on_a_fresh_database_both_start(tmp_path: Path) -> None:
    """Started at the same moment with --demo on a database that does not exist yet: both
    migrate, one creates the demo account, both serve."""
    procs = [spawn(["--demo", *LOCAL], tmp_path) for _ in range(2)]
    try:
        for proc in procs:
            wait_ready(proc)
    finally:
        codes = [stop(proc) for proc in procs]
    assert [0, 0] == codes
    db = tmp_path / "var" / "smsrelay.db"
    assert [(1,)] == _rows(db, "SELECT count(*) FROM accounts WHERE login = 'demo'")


@pytest.mark.postgres
async def test_the_postgres_password_is_never_printed(tmp_path: Path) -> None:
    """`serve` and `migrate` on a PostgreSQL URL with a password: it appears nowhere in their
    output (the server trusts local connections, so any password is accepted)."""
    async with fresh_postgres_database() as url:
        secret_url = url.replace("postgresql://postgres@", "postgresql://postgres:Pa55word@")
        assert "Pa55word" in secret_url
        migrated = smsrelay("migrate", cwd=tmp_path, db=secret_url)
        assert "postgres:***@" in migrated.stdout
        with serving(["--demo", *LOCAL, "--database", secret_url], tmp_path) as server:
            pass
        everything = migrated.stdout + migrated.stderr + server.output
        assert "Pa55word" not in everything
        assert "postgres:***@" in server.ready
