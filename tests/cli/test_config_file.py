"""smsrelay.toml: every setting from a file, the environment and options over it, checked at
start naming the key; ``config show`` prints the effective settings with secrets masked."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest

from smsrelay.config import ConfigError, effective_settings, load_settings

from .serving import serving
from .test_cli import smsrelay


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "smsrelay.toml"
    path.write_text(text)
    return str(path)


def test_file_then_environment_then_options(tmp_path: Path) -> None:
    """Each layer overrides the one below; the sources say which one gave each value."""
    path = _file(tmp_path, 'port = 9000\nhost = "0.0.0.0"\nlease_seconds = 20\nsimulator = false\n')
    settings, sources = effective_settings(
        {"SMSRELAY_HOST": "10.0.0.1", "SMSRELAY_PORT": "9001"}, config_path=path, port=9002
    )
    assert (9002, "10.0.0.1", 20.0, False) == (
        settings.port,
        settings.host,
        settings.lease_seconds,
        settings.simulator,
    )
    assert "command line" == sources["port"]
    assert "environment SMSRELAY_HOST" == sources["host"]
    assert f"file {path}" == sources["lease_seconds"]
    via_env = load_settings({"SMSRELAY_CONFIG": path})
    assert 9000 == via_env.port


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prot = 1\n", "setting prot (in {path}): unknown setting"),
        ('port = "80"\n', "setting port (in {path}): must be an integer"),
        ("simulator = 1\n", "setting simulator (in {path}): must be true or false"),
        (
            "port = 70000\n",
            "setting port (SMSRELAY_PORT): must be a TCP port, given by file {path}",
        ),
        ("port = \n", "config file {path}: not valid TOML"),
    ],
)
def test_a_bad_file_fails_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    """Unknown keys, wrong types and invalid values fail naming the key and where it came from."""
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings({}, config_path=path)
    assert str(caught.value).startswith(message.format(path=path)), str(caught.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({}, config_path=str(tmp_path / "nope.toml"))


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    """`smsrelay --config FILE config show`: every setting, each with its source; passwords
    and tokens as ***, the database URL with its password masked; a bad file is one line."""
    path = _file(
        tmp_path,
        'database_url = "postgresql://app:Db-s3cret@db/sms"\nsmpp_password = "Smpp-s3cret"\n'
        'viber_token = "Vb-s3cret"\nport = 9000\n',
    )
    env = {**os.environ, "SMSRELAY_SMPP_HOST": "smsc.example"}
    env.pop("SMSRELAY_DATABASE_URL", None)
    proc = smsrelay("--config", path, "config", "show", cwd=tmp_path, env=env)
    out = proc.stdout
    for secret in ("Db-s3cret", "Smpp-s3cret", "Vb-s3cret"):
        assert secret not in out
    assert f'database_url = "postgresql://app:***@db/sms"  # file {path}\n' in out
    assert f'smpp_password = "***"  # file {path}\n' in out
    assert 'simulator_password = "***"  # default\n' in out
    assert 'smpp_host = "smsc.example"  # environment SMSRELAY_SMPP_HOST\n' in out
    assert "max_parts = 10  # default\n" in out
    bad = _file(tmp_path, "prot = 1\n")
    proc = smsrelay("--config", bad, "config", "show", cwd=tmp_path, check=False)
    assert 1 == proc.returncode and "prot" in proc.stderr
    assert 1 == len(proc.stderr.strip().splitlines())


def test_serve_reads_its_settings_from_the_file(tmp_path: Path) -> None:
    """`SMSRELAY_CONFIG=FILE smsrelay serve`: the database and ports come from the file."""
    path = _file(
        tmp_path,
        'database_url = "sqlite:///data/from-file.db"\nport = 0\nsimulator_port = 0\n'
        'log_format = "json"\n',
    )
    env = {"SMSRELAY_CONFIG": path}
    with serving([], tmp_path, **env) as server:
        assert "sqlite:///data/from-file.db" in server.ready
    assert (tmp_path / "data" / "from-file.db").exists()
    assert server.stderr and all(line.startswith("{") for line in server.stderr if line.strip())


def _without_settings() -> dict[str, str]:
    unset = ("SMSRELAY_DATABASE_URL", "SMSRELAY_CONFIG")
    return {k: v for k, v in os.environ.items() if k not in unset}


def _every_command() -> list[tuple[str, click.Command]]:
    """Every group and command of ``smsrelay`` (the modules that register them imported)."""
    from smsrelay.cli.main import load_commands

    found: list[tuple[str, click.Command]] = []

    def walk(path: str, command: click.Command) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(f"{path} {name}", sub)

    walk("smsrelay", load_commands())
    return found


def test_every_command_accepts_config_after_its_name() -> None:
    """``--config`` is an option of every command and group, not only of ``smsrelay``."""
    commands = _every_command()
    assert len(commands) > 70
    ctx = click.Context(click.Command("x"))
    missing = [
        path
        for path, command in commands
        if not any("--config" in getattr(p, "opts", ()) for p in command.get_params(ctx))
    ]
    assert [] == missing


def test_config_before_or_after_the_command(tmp_path: Path) -> None:
    """`smsrelay --config F CMD` and `smsrelay CMD --config F` (and inside a group) read the
    same file: `migrate` creates the file's database, `status` and `account list` use it from
    any folder; given twice, the one after the command wins."""
    path = _file(tmp_path, f'database_url = "sqlite:///{tmp_path / "from-file.db"}"\nport = 9123\n')
    (tmp_path / "elsewhere").mkdir()
    bad = _file(tmp_path / "elsewhere", "prot = 1\n")
    env = _without_settings()
    assert "from-file.db" in smsrelay("migrate", "--config", path, cwd=tmp_path, env=env).stdout
    assert (tmp_path / "from-file.db").exists()
    shown = {
        smsrelay(*args, cwd=tmp_path, env=env).stdout
        for args in (
            ("--config", path, "config", "show"),
            ("config", "show", "--config", path),
            ("config", "--config", path, "show"),
            ("--config", bad, "config", "show", "--config", path),
        )
    }
    assert 1 == len(shown) and f"port = 9123  # file {path}\n" in shown.pop()
    assert "queue" in smsrelay("status", "--config", path, cwd=tmp_path, env=env).stdout.lower()
    smsrelay(
        "account", "create", "acme", "--password", "pw", "--config", path, cwd=tmp_path, env=env
    )
    assert "acme" in smsrelay("account", "list", "--config", path, cwd=tmp_path, env=env).stdout
    proc = smsrelay("status", cwd=tmp_path, env=env, check=False)  # no file: not that database
    assert 1 == proc.returncode and "does not exist" in proc.stderr


def test_serve_reads_the_file_given_after_the_command(tmp_path: Path) -> None:
    """`smsrelay serve --config FILE`: the database comes from the file."""
    path = _file(
        tmp_path, 'database_url = "sqlite:///data/after.db"\nport = 0\nsimulator_port = 0\n'
    )
    with serving(["--config", path], tmp_path) as server:
        assert "sqlite:///data/after.db" in server.ready
    assert (tmp_path / "data" / "after.db").exists()
