"""The backup and restore procedures of docs/operations.md, run as written: SQLite online
(``sqlite3 … ".backup …"`` while ``serve`` runs) and PostgreSQL (``pg_dump -Fc`` /
``pg_restore``). The restored database holds the same accounts and messages and is in use at
once (``migrate`` finds it up to date, the CLI reads it)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from cli.serving import serving
from cli.test_cli import smsrelay
from conftest import fresh_postgres_database

PHONE = "79001234567"


def _send(url: str, count: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        for n in range(count):
            body = {"token": "tok-backup", "message": [{"type_send_1": "sms", "sender": "Shop",
                    "text": f"hello {n}", "phones": [{"phone": PHONE}]}]}  # fmt: skip
            assert "id_sms" in http.post("/json", json=body).json()["information"][0]


def _run(args: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    """A backup tool, run as an operator would (check=True, text output)."""
    return subprocess.run(args, check=True, capture_output=True, text=True, **options)  # type: ignore[call-overload,no-any-return]


def _count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def _prepare(cwd: Path, db: str) -> None:
    smsrelay("migrate", cwd=cwd, db=db)
    smsrelay("account", "create", "shop", "--password", "pw", "--token", "tok-backup",
             "--balance", "100", "--any-sender", cwd=cwd, db=db)  # fmt: skip
    smsrelay("price", "set", "7", "1", "--area", "Russia", cwd=cwd, db=db)


def test_sqlite_online_backup_and_restore(tmp_path: Path) -> None:
    """`sqlite3 var/smsrelay.db ".backup 'backup.db'"` while serve runs and writes; the copy,
    put in place of a lost database, has every message stored before the backup."""
    _prepare(tmp_path, "sqlite:///var/smsrelay.db")
    live = tmp_path / "var" / "smsrelay.db"
    args = ["--port", "0", "--simulator-port", "0"]
    with serving(args, tmp_path, SMSRELAY_DATABASE_URL="sqlite:///var/smsrelay.db") as server:
        _send(server.url, 5)
        before = _count(live, "messages")
        _run(["sqlite3", str(live), ".backup 'backup.db'"], cwd=tmp_path)
        _send(server.url, 2)  # still serving while and after the backup was taken
    backup = tmp_path / "backup.db"
    assert 5 == before == _count(backup, "messages")
    assert "ok" == _run(["sqlite3", str(backup), "PRAGMA integrity_check"]).stdout.strip()

    restored = tmp_path / "restored" / "smsrelay.db"  # the procedure: stop, copy in, start
    restored.parent.mkdir()
    shutil.copy(backup, restored)
    url = f"sqlite:///{restored}"
    assert "up to date" in smsrelay("migrate", cwd=tmp_path, db=url).stdout
    assert "\tshop\t" in smsrelay("account", "list", cwd=tmp_path, db=url).stdout
    assert 5 == _count(restored, "messages")


@pytest.mark.postgres
async def test_postgres_dump_and_restore(tmp_path: Path) -> None:
    """`pg_dump -Fc` of a database in use, `pg_restore --no-owner` into an empty one: the same
    accounts, prices and messages, and `migrate` finds it up to date."""
    dump = tmp_path / "smsrelay.dump"
    async with fresh_postgres_database() as source:
        _prepare(tmp_path, source)
        with serving(["--port", "0", "--simulator-port", "0", "--database", source], tmp_path) as s:
            _send(s.url, 5)
            _run(["pg_dump", "--format=custom", "--file", str(dump), "--dbname", source])
        async with fresh_postgres_database() as target:
            _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", target, str(dump)])
            assert "up to date" in smsrelay("migrate", cwd=tmp_path, db=target).stdout
            assert "\tshop\t" in smsrelay("account", "list", cwd=tmp_path, db=target).stdout
            name = urlsplit(target).path.strip("/")
            psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-At", "-d", name]
            count = _run([*psql, "-c", "SELECT count(*) FROM messages"]).stdout.strip()
            assert "5" == count
