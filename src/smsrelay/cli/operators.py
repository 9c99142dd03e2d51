"""``smsrelay operator create``: console users (``/admin/``), never client accounts."""

from __future__ import annotations

import click

from ..bootstrap import open_stores, web_access
from ..services.web_access import OperatorError
from .main import _db_option, cli, run, settings_from


@cli.group()
def operator() -> None:
    """Operators of the web console (/admin/)."""


@operator.command("create")
@click.argument("name")
@click.option("--password", required=True, help="At least 8 characters (stored as argon2).")
@click.option("--role", type=click.Choice(["admin", "viewer"]), default="admin")
@_db_option
def operator_create(name: str, password: str, role: str, database: str | None) -> None:
    """Create operator NAME who can log in to /admin/."""
    settings = settings_from(database)

    async def go() -> int:
        stores = await open_stores(settings)
        try:
            return int(await web_access(stores).create_operator(name, password, role))
        except OperatorError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            await stores.close()

    run(go)
    click.echo(f"operator {name} created ({role})")
