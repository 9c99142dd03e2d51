"""The ``smsrelay`` command. Every command has ``--help``; errors are one line, exit 1."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ..config import ConfigError, Settings, load_settings, mask_url
from ..domain.money import MoneyError
from ..services.admin import AdminError

T = TypeVar("T")

_db_option = click.option(
    "--database",
    "database",
    envvar="SMSRELAY_DATABASE_URL",
    default=None,
    help="sqlite:///path.db or postgresql://user@host/db (default sqlite:///var/smsrelay.db).",
)


def settings_from(database: str | None = None, **overrides: Any) -> Settings:
    """The settings of a command; only ``serve`` and ``migrate`` may create a missing database
    (they pass ``create_database=True``), every other command refuses it."""
    overrides.setdefault("create_database", False)
    try:
        return load_settings(config_path=config_path(), database_url=database, **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async command; domain/admin errors become one clear line and exit 1."""
    try:
        return _event_loop_run(coro_fn())
    except (AdminError, MoneyError, ConfigError, ValueError, LookupError) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{exc.__class__.__name__}: {exc}") from exc


def _event_loop_run(coro: Awaitable[T]) -> T:
    """uvloop when it is installed (it is, via uvicorn[standard]): a faster event loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coro)  # type: ignore[arg-type]
    return uvloop.run(coro)  # type: ignore[arg-type]


_CONFIG_HELP = "Settings file (smsrelay.toml); SMSRELAY_* variables and options override it."


def _config_given(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--config`` after a command name: the same as before it (the later one wins)."""
    if value is None:
        return
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    root.obj["config"] = value


def _config_option() -> click.Option:
    return click.Option(
        ["--config"],
        type=click.Path(dir_okay=False),
        default=None,
        expose_value=False,
        callback=_config_given,
        help=_CONFIG_HELP,
    )


def _with_config(params: list[click.Parameter]) -> list[click.Parameter]:
    if any("--config" in getattr(p, "opts", ()) for p in params):
        return params
    return [*params, _config_option()]


class _ConfigCommand(click.Command):
    """Every command accepts ``--config FILE`` after its name too: ``smsrelay serve --config F``
    is ``smsrelay --config F serve``."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _with_config(super().get_params(ctx))


class _ConfigGroup(click.Group):
    """The ``smsrelay`` group and every group under it: their commands are
    :class:`_ConfigCommand` and their subgroups are of this class (``account --config F show``
    as well as ``account show --config F``)."""

    command_class = _ConfigCommand
    group_class = type  # subgroups made with ``@group.group()`` are _ConfigGroup too

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _with_config(super().get_params(ctx))


@click.group(cls=_ConfigGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="smsrelay")
@click.option(
    "--config",
    "config_path",
    envvar="SMSRELAY_CONFIG",
    type=click.Path(dir_okay=False),
    default=None,
    help=_CONFIG_HELP,
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """smsrelay: self-hosted A2P SMS platform (Webcom-compatible API, SMPP 3.4 delivery)."""
    ctx.obj = {"config": config_path}


def config_path() -> str | None:
    """The ``--config`` given to ``smsrelay`` or to the command (before or after its name);
    SMSRELAY_CONFIG when neither was given; None: no file."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj.get("config") if isinstance(obj, dict) else None


@cli.command()
@click.option("--host", default=None, help="HTTP listen address (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="HTTP port (default 8080).")
@_db_option
@click.option("--no-simulator", is_flag=True, help="Do not start the built-in carrier simulator.")
@click.option("--simulator-port", type=int, default=None, help="SMPP port of the simulator (2776).")
@click.option("--receipt-delay", type=float, default=None, help="Simulator receipt delay, seconds.")
@click.option("--smpp-host", default=None, help="Carrier SMSC host (default: the simulator).")
@click.option("--smpp-port", type=int, default=None, help="Carrier SMSC port.")
@click.option("--smpp-system-id", default=None, help="Carrier bind system_id.")
@click.option("--smpp-password", default=None, help="Carrier bind password.")
@click.option("--no-engine", is_flag=True, help="API only: do not deliver (another worker does).")
@click.option(
    "--demo",
    is_flag=True,
    help="Create a funded demo account and demo prices on first start (make run).",
)
@click.option(
    "--log-format",
    type=click.Choice(["console", "json"]),
    default=None,
    help="Log lines as text or one JSON object each (default console).",
)
@click.option("--log-level", default=None, help="debug, info, warning, error (default info).")
@click.option(
    "--no-message-trail",
    is_flag=True,
    help="No INFO line per message (accepted, submitted, final).",
)
@click.option("--smpp-server-host", default=None, help="Customer SMPP server address.")
@click.option("--smpp-server-port", type=int, default=None, help="Customer SMPP port (2775).")
@click.option("--no-smpp-server", is_flag=True, help="Do not run the customer SMPP server.")
@click.option(
    "--workers",
    type=click.IntRange(0, 256),
    default=None,
    help="Processes on this machine, one HTTP port (default: one per CPU core; 1: one process).",
)
def serve(
    host: str | None,
    port: int | None,
    database: str | None,
    no_simulator: bool,
    simulator_port: int | None,
    receipt_delay: float | None,
    smpp_host: str | None,
    smpp_port: int | None,
    smpp_system_id: str | None,
    smpp_password: str | None,
    no_engine: bool,
    demo: bool,
    log_format: str | None,
    log_level: str | None,
    no_message_trail: bool,
    smpp_server_host: str | None = None,
    smpp_server_port: int | None = None,
    no_smpp_server: bool = False,
    workers: int | None = None,
) -> None:
    """Migrate the database, then run the HTTP API, the delivery engine and the simulator
    (with --workers N, N-1 more processes serve HTTP on the same port)."""
    from .serve import serve_forever

    settings = settings_from(
        database,
        host=host,
        port=port,
        simulator=False if no_simulator else None,
        engine=False if no_engine else None,
        simulator_port=simulator_port,
        simulator_receipt_delay=receipt_delay,
        smpp_host=smpp_host,
        smpp_port=smpp_port,
        smpp_system_id=smpp_system_id,
        smpp_password=smpp_password,
        demo=True if demo else None,
        create_database=True,
        log_format=log_format,
        log_level=log_level,
        log_message_trail=False if no_message_trail else None,
        smpp_server=False if no_smpp_server else None,
        smpp_server_host=smpp_server_host,
        smpp_server_port=smpp_server_port,
        workers=workers,
    )
    run(lambda: serve_forever(settings))


@cli.command()
@_db_option
def migrate(database: str | None) -> None:
    """Create or upgrade the database schema (Alembic). Safe to run at any time."""
    from ..store import migrate as do_migrate

    settings = settings_from(database, create_database=True)
    run(lambda: do_migrate(settings.database_url))
    click.echo(f"database is up to date: {mask_url(settings.database_url)}")


def main() -> None:
    load_commands()
    try:
        cli.main(prog_name="smsrelay")
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


def load_commands() -> click.Group:
    """Import the modules that register their commands on :data:`cli`; the whole tree."""
    from . import account_admin as _account_admin  # noqa: F401 - show/password/token, stoplist
    from . import admin as _admin  # noqa: F401 - registers the admin command groups
    from . import config_show as _config_show  # noqa: F401 - `config show`
    from . import faults as _faults  # noqa: F401 - registers `simulate fault`
    from . import inbound as _inbound  # noqa: F401 - `number add/list/remove`, `simulate mo`
    from . import incoming_webhooks as _incoming_webhooks  # noqa: F401 - `webhook incoming`
    from . import messages as _messages  # noqa: F401 - `messages search/show`
    from . import operations as _operations  # noqa: F401 - `status`
    from . import operators as _operators  # noqa: F401 - `operator create` (web console)
    from . import optout as _optout  # noqa: F401 - `optout set/show/reset`
    from . import registration as _registration  # noqa: F401 - `account activate`, `list`
    from . import routing as _routing  # noqa: F401 - `connector`, `route`, `account limit`
    from . import send as _send  # noqa: F401 - registers `send`
    from . import senders as _senders  # noqa: F401 - `sender approve/reject/list`
    from . import simulator as _simulator  # noqa: F401 - registers `simulator`
    from . import smpp_server as _smpp_server  # noqa: F401 - `account smpp`, `smpp binds/kick`
    from . import stats as _stats  # noqa: F401 - `stats`
    from . import tariff as _tariff  # noqa: F401 - `tariff create/set/assign/show/...`
    from . import timezone as _timezone  # noqa: F401 - `account timezone`
    from . import webhooks as _webhooks  # noqa: F401 - `webhook set/show/remove`

    return cli
