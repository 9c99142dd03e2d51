"""``smsrelay webhook set/show/remove`` against a real SQLite database (click's runner, in
process; ``tests/cli`` runs ``--help`` of each as a subprocess)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import smsrelay.cli.admin
import smsrelay.cli.webhooks  # noqa: F401 - registers `webhook`
from smsrelay.cli.main import cli


def test_set_show_remove_and_refusals(tmp_path: Path) -> None:
    """set prints the webhook, show lists it and its pushes; refused URLs and unknown logins
    fail with one line and exit 1."""
    runner = CliRunner(
        env={
            "SMSRELAY_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
            "SMSRELAY_WEBHOOK_ALLOW_PRIVATE": "1",  # the URLs below are on loopback
        }
    )

    def smsrelay(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args))
        return result.exit_code, result.output

    assert 0 == smsrelay("migrate")[0]  # only serve and migrate create a database
    assert 0 == smsrelay("account", "create", "acme", "--password", "pw")[0]
    assert (0, "acme: webhook http://127.0.0.1:8000/hook (xml, <request> root, signed)\n") == (
        smsrelay(
            "webhook",
            "set",
            "acme",
            "http://127.0.0.1:8000/hook",
            "--format",
            "xml",
            "--secret",
            "k",
            "--root",
            "request",
        )
    )
    code, shown = smsrelay("webhook", "show", "acme")
    assert 0 == code
    assert shown.startswith("acme: webhook http://127.0.0.1:8000/hook (xml, <request> root")
    assert "delivered: 0, pending or failed: 0" in shown
    for args in (
        ("acme", "http://169.254.169.254/latest"),
        ("acme", "ftp://127.0.0.1/"),
        ("nobody", "http://127.0.0.1/"),
    ):
        code, out = smsrelay("webhook", "set", *args)
        assert (1, 1) == (code, len(out.strip().splitlines())), out
        assert out.startswith("Error: ")
    assert (0, "acme: webhook removed\n") == smsrelay("webhook", "remove", "acme")
    assert "acme: webhook not set" in smsrelay("webhook", "show", "acme")[1]
