"""The routing commands against a real database (in-process through click's runner)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from smsrelay.cli import admin as _admin  # noqa: F401 - registers the admin groups
from smsrelay.cli import routing as _routing  # noqa: F401 - registers the routing commands
from smsrelay.cli.main import cli


def invoke(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--database", db])


def test_connectors_routes_prices_and_limits(tmp_path: Path) -> None:
    """Each command prints one line; list shows what was stored; errors are one line, exit 1."""
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert 0 == invoke(db, "migrate").exit_code  # only serve and migrate create a database
    out = invoke(
        db,
        "connector",
        "add",
        "mts",
        "--host",
        "10.0.0.1",
        "--port",
        "2775",
        "--system-id",
        "shop",
        "--password",
        "pw",
        "--throughput",
        "50",
        "--binds",
        "2",
        "--encoding",
        "latin1",
        "--concat",
        "sar",
    )
    assert 0 == out.exit_code, out.output
    assert out.output.startswith("connector mts: 10.0.0.1:2775")
    assert 0 == invoke(db, "account", "create", "alice", "--password", "pw").exit_code
    out = invoke(db, "route", "add", "7", "mts", "--account", "alice", "--failover-on-undeliv")
    assert "route 7 -> mts account=alice failover-on-undeliv\n" == out.output
    out = invoke(db, "price", "set", "7", "0.45", "--route", "mts")
    assert "price sms 7 via mts: 0.45\n" == out.output
    out = invoke(db, "account", "limit", "alice", "20")
    assert "alice: 20 parts/s\n" == out.output
    listing = invoke(db, "connector", "list").output
    assert "throughput=50 parts/s" in listing and "encoding=latin1" in listing
    assert "pw" not in listing
    assert "7 -> mts account=alice" in invoke(db, "route", "list").output
    refused = invoke(db, "connector", "remove", "mts")
    assert 1 == refused.exit_code
    assert "Error: connector 'mts' is used by routes: 7\n" == refused.output
    assert 0 == invoke(db, "route", "remove", "7", "--account", "alice").exit_code
    assert "connector mts removed\n" == invoke(db, "connector", "remove", "mts").output
    missing = invoke(db, "route", "add", "*", "nope")
    assert (1, "Error: no connector named 'nope'\n") == (missing.exit_code, missing.output)


def test_load_a_toml_file(tmp_path: Path) -> None:
    """connector load adds the file's connectors and routes; a bad file is one clear line."""
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert 0 == invoke(db, "migrate").exit_code  # only serve and migrate create a database
    good = tmp_path / "links.toml"
    good.write_text(
        '[[connector]]\nname = "a"\nhost = "h"\nport = 1\nsystem_id = "s"\npassword = "p"\n'
        '[[route]]\nprefix = "380"\nconnectors = ["a"]\n'
    )
    out = invoke(db, "connector", "load", str(good))
    assert "loaded 1 connectors and 1 routes from links.toml\n" == out.output
    assert "380 -> a\n" == invoke(db, "route", "list").output
    bad = tmp_path / "bad.json"
    bad.write_text('{"connector": [{"name": "a b"}]}')
    out = invoke(db, "connector", "load", str(bad))
    assert 1 == out.exit_code
    assert out.output.startswith("Error: connector #1:")
