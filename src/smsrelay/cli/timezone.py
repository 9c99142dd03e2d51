"""Operator command of an account's time zone: the hours it lives from Moscow time.

    smsrelay account timezone LOGIN OFFSET_FROM_MOSCOW

The offset moves the times an account reads and writes (X18 time, local dates of X2/X15,
status times); 0, the default, is Moscow time.
"""

from __future__ import annotations

import click

from ..bootstrap import open_stores
from .admin import account
from .main import _db_option, run, settings_from

#: Offsets from Moscow (UTC+3) that name a real zone: UTC-12 .. UTC+14.
MIN_OFFSET, MAX_OFFSET = -15, 11


@account.command("timezone")
@click.argument("login")
@click.argument("offset", metavar="OFFSET_FROM_MOSCOW", type=int)
@_db_option
def account_timezone(login: str, offset: int, database: str | None) -> None:
    """Set LOGIN's time zone as hours from Moscow time (X18 time, local dates), e.g. 4."""
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        raise click.ClickException(f"offset must be {MIN_OFFSET}..{MAX_OFFSET} hours from Moscow")

    settings = settings_from(database)

    async def go() -> None:
        stores = await open_stores(settings)
        try:
            record = await stores.accounts.find_by_login(login)
            if record is None:
                raise click.ClickException(f"no account with login {login!r}")
            await stores.accounts.set_tz_offset(record.account.id, offset)
        finally:
            await stores.close()

    run(go)
    click.echo(f"{login}: {offset:+d} h from Moscow")
