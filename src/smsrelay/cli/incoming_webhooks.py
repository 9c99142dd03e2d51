"""``smsrelay webhook incoming LOGIN [URL]``: the account's incoming-SMS webhook."""

from __future__ import annotations

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..services.admin import AdminError
from ..services.webhooks import AddressPolicy, UrlGuard, WebhookFormat, WebhookService
from ..store.incoming_hooks import SqlIncomingHookStore
from .main import _db_option, run, settings_from
from .webhooks import webhook


@webhook.command("incoming")
@click.argument("login")
@click.argument("url", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "xml"]),
    default=None,
    help="Push body: X7's shape as JSON objects or <sms> elements. Default json.",
)
@click.option(
    "--secret", default=None, help="Sign pushes with HMAC-SHA256 (X-Smsrelay-Signature); '' = off."
)
@click.option("--remove", is_flag=True, help="Remove it; pushes not yet delivered are dropped.")
@_db_option
def webhook_incoming(
    login: str,
    url: str | None,
    fmt: str | None,
    secret: str | None,
    remove: bool,
    database: str | None,
) -> None:
    """Set (URL), show (no URL) or --remove LOGIN's incoming-SMS webhook (X7 keeps working)."""
    settings = settings_from(database)

    async def go() -> str:
        stores = await open_stores(settings)
        try:
            record = await stores.accounts.find_by_login(login)
            if record is None:
                raise AdminError(f"no account with login {login!r}")
            guard = UrlGuard(
                AddressPolicy.parse(
                    settings.webhook_allow, settings.webhook_deny, settings.webhook_allow_private
                )
            )
            service = WebhookService(SqlIncomingHookStore(stores.db), guard, SystemClock())
            if remove:
                await service.remove(record.account)
                return f"{login}: incoming webhook removed"
            if url is None:
                config = await service.get(record.account)
                if config is None:
                    return f"{login}: no incoming webhook"
                signed = "signed" if config.secret else "unsigned"
                return f"{login}: incoming {config.url} ({config.format.value}, {signed})"
            config = await service.set(
                record.account,
                url,
                format=WebhookFormat(fmt) if fmt else None,
                secret=secret,
            )
            if config is None:
                return f"{login}: incoming webhook removed"
            return f"{login}: incoming SMS pushed to {config.url} ({config.format.value})"
        finally:
            await stores.close()

    click.echo(run(go))
