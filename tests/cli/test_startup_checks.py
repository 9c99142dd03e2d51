"""Start-up checks: a busy port stops ``serve`` before anything starts, with one line naming
the port and the setting; a CLI command never creates a database it was pointed at by mistake."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from smsrelay.cli.preflight import listeners
from smsrelay.config import Settings

from .test_cli import smsrelay


@contextmanager
def busy_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("flag", "setting"),
    [
        ("--port", "SMSRELAY_PORT"),
        ("--simulator-port", "SMSRELAY_SIMULATOR_PORT"),
        ("--smpp-server-port", "SMSRELAY_SMPP_SERVER_PORT"),
    ],
)
def test_a_busy_port_stops_serve_before_anything_starts(
    tmp_path: Path, flag: str, setting: str
) -> None:
    """A second copy (here: the port is taken) exits 1 with one line naming the port and how to
    change it; it created no database and started nothing (nothing else was printed)."""
    with busy_port() as port:
        others = {"--port": "0", "--simulator-port": "0", "--smpp-server-port": "0"}
        others[flag] = str(port)
        args = [item for pair in others.items() for item in pair]
        proc = smsrelay("serve", *args, cwd=tmp_path, check=False)
    assert 1 == proc.returncode
    [line] = proc.stderr.strip().splitlines()
    assert str(port) in line and flag in line and setting in line, line
    assert "" == proc.stdout
    assert not (tmp_path / "var").exists()


def test_every_fixed_listener_is_checked() -> None:
    """The HTTP API, the customer SMPP server, the simulator and the Viber simulator, unless
    given port 0 or not run."""
    settings = Settings(port=8080, simulator_port=2776, viber_simulator_port=8099)
    assert [8080, 2775, 2776, 8099] == [item.port for item in listeners(settings)]
    assert [8080, 2775] == [item.port for item in listeners(Settings(simulator=False))]
    assert [8080] == [item.port for item in listeners(Settings(simulator=False, smpp_server=False))]
    assert [] == listeners(Settings(port=0, simulator_port=0, smpp_server_port=0))


def test_a_cli_command_never_creates_a_missing_database(tmp_path: Path) -> None:
    """`account list` pointed at a SQLite file that does not exist says so (exit 1) and creates
    nothing; `migrate` creates it, and then the command works."""
    db = "sqlite:///elsewhere/smsrelay.db"
    proc = smsrelay("account", "list", cwd=tmp_path, db=db, check=False)
    assert 1 == proc.returncode
    assert "does not exist" in proc.stderr and "smsrelay migrate" in proc.stderr
    assert [] == list(tmp_path.iterdir())
    smsrelay("migrate", cwd=tmp_path, db=db)
    assert 0 == smsrelay("account", "list", cwd=tmp_path, db=db).returncode
