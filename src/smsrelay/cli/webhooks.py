"""``smsrelay webhook``: set, show and remove an account's status webhook (J3/X3)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..domain.accounts import Account
from ..domain.status import wire_word
from ..services.admin import AdminError
from ..services.webhooks import (
    AddressPolicy,
    UrlGuard,
    WebhookConfig,
    WebhookFormat,
    WebhookService,
    XmlRoot,
)
from ..store.webhooks import SqlWebhookStore
from .main import _db_option, cli, run, settings_from

T = TypeVar("T")


def with_webhooks(
    database: str | None, login: str, fn: Callable[[WebhookService, Account], Awaitable[T]]
) -> T:
    """Run ``fn`` with the webhook use cases and LOGIN's account (the operator's settings
    decide which addresses a URL may point to)."""
    settings = settings_from(database)

    async def go() -> T:
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
            service = WebhookService(SqlWebhookStore(stores.db), guard, SystemClock())
            return await fn(service, record.account)
        finally:
            await stores.close()

    return run(go)


def _describe(config: WebhookConfig) -> str:
    shape = config.format.value
    if config.format is WebhookFormat.XML:
        shape += f", <{config.xml_root.value}> root"
    signed = "signed" if config.secret else "unsigned"
    return f"{config.url} ({shape}, {signed})"


@cli.group()
def webhook() -> None:
    """Status webhooks: where each account's delivery statuses are pushed (J3/X3)."""


@webhook.command("set")
@click.argument("login")
@click.argument("url")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "xml"]),
    default=None,
    help="Push body: json (J3) or xml (X3). Default: keep the current one, else json.",
)
@click.option(
    "--secret", default=None, help="Sign pushes with HMAC-SHA256 (X-Smsrelay-Signature); '' = off."
)
@click.option(
    "--root",
    type=click.Choice(["response", "request"]),
    default=None,
    help="XML push root: response (Webcom, default) or request (white-label).",
)
@_db_option
def webhook_set(
    login: str,
    url: str,
    fmt: str | None,
    secret: str | None,
    root: str | None,
    database: str | None,
) -> None:
    """Push LOGIN's statuses to URL (http/https; its address is checked). "" removes it."""
    config = with_webhooks(
        database,
        login,
        lambda s, a: s.set(
            a,
            url,
            format=WebhookFormat(fmt) if fmt else None,
            secret=secret,
            xml_root=XmlRoot(root) if root else None,
        ),
    )
    click.echo(f"{login}: webhook {_describe(config)}" if config else f"{login}: webhook removed")


@webhook.command("remove")
@click.argument("login")
@_db_option
def webhook_remove(login: str, database: str | None) -> None:
    """Stop pushing LOGIN's statuses (pushes not yet delivered are dropped)."""
    with_webhooks(database, login, lambda s, a: s.remove(a))
    click.echo(f"{login}: webhook removed")


@webhook.command("show")
@click.argument("login")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, help="Pushes listed.")
@_db_option
def webhook_show(login: str, limit: int, database: str | None) -> None:
    """LOGIN's webhook, its pending and failed pushes (with attempts) and its latest POSTs."""
    view = with_webhooks(database, login, lambda s, a: s.overview(a, limit))
    click.echo(f"{login}: webhook {_describe(view.config) if view.config else 'not set'}")
    click.echo(f"delivered: {view.delivered}, pending or failed: {len(view.pushes)}")
    for p in view.pushes:
        due = f" next {p.next_at:%Y-%m-%d %H:%M:%S}Z" if p.next_at and p.state == "pending" else ""
        last = f" last: {p.last_result}" if p.last_result else ""
        click.echo(
            f"  id_sms {p.id_sms} {wire_word(p.status)} {p.state} attempts {p.attempts}{due}{last}"
        )
    if view.attempts:
        click.echo("latest POSTs:")
    for a in view.attempts:
        result = f"HTTP {a.http_status}" if a.http_status is not None else (a.error or "error")
        if a.http_status is not None and a.error:
            result += f" {a.error}"
        click.echo(
            f"  {a.at:%Y-%m-%d %H:%M:%S}Z delivery {a.delivery_id} attempt {a.attempt}: "
            f"{result}, acked {a.acked} of {a.sent}"
        )
