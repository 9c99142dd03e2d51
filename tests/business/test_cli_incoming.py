"""``smsrelay webhook incoming``: set, show, remove; a refused address is one line, exit 1."""

from __future__ import annotations

import os
from pathlib import Path

from cli.test_cli import smsrelay


def test_webhook_incoming_set_show_remove(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cli.db"

    # the receiver below is on loopback: allowed explicitly, as for any local receiver
    env = {**os.environ, "SMSRELAY_WEBHOOK_ALLOW_PRIVATE": "1"}

    def run(*args: str) -> str:
        return smsrelay(*args, cwd=tmp_path, db=db, env=env).stdout

    run("migrate")
    run("account", "create", "acme", "--password", "pw")
    assert "no incoming webhook" in run("webhook", "incoming", "acme")
    out = run("webhook", "incoming", "acme", "http://127.0.0.1:9/mo", "--format", "xml")
    assert "http://127.0.0.1:9/mo (xml)" in out
    assert "(xml, unsigned)" in run("webhook", "incoming", "acme")
    assert "removed" in run("webhook", "incoming", "acme", "--remove")
    bad = smsrelay(
        "webhook",
        "incoming",
        "acme",
        "http://169.254.169.254/",
        cwd=tmp_path,
        db=db,
        env=env,
        check=False,
    )
    assert 1 == bad.returncode and "Traceback" not in bad.stderr
