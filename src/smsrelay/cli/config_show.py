"""``smsrelay config show``: the effective settings, secrets masked, and where each came from."""

from __future__ import annotations

from dataclasses import fields

import click

from ..config import ConfigError, Settings, effective_settings, mask_url
from ..config_file import render_settings
from .main import _db_option, cli, config_path


@cli.group()
def config() -> None:
    """Settings: smsrelay.toml (--config or SMSRELAY_CONFIG), SMSRELAY_* variables, options."""


@config.command("show")
@_db_option
def config_show(database: str | None) -> None:
    """Print the effective settings as a TOML file (passwords and tokens shown as ***)."""
    try:
        settings, sources = effective_settings(config_path=config_path(), database_url=database)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
    if database is not None:
        source = click.get_current_context().get_parameter_source("database")
        from_env = source is click.core.ParameterSource.ENVIRONMENT
        sources["database_url"] = (
            "environment SMSRELAY_DATABASE_URL" if from_env else "command line"
        )
    click.echo(render_settings(values, sources, fields(Settings), mask_url), nl=False)
