"""Opt-out by reply commands: ``smsrelay optout set/show/reset`` (issue 9).

The words that put a subscriber on an account's STOP list (or take it off) when it answers,
and the optional confirmation SMS, per account (``--number`` for one incoming number).
"""

from __future__ import annotations

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..domain.optout import OptOutSettings, parse_words
from ..services.optout import resolve
from ..store.optout import SqlOptOutStore
from .main import _db_option, cli, run, settings_from


def _with_store(database: str | None, login: str, action: str, **kw: object) -> object:
    settings = settings_from(database)

    async def go() -> object:
        stores = await open_stores(settings)
        try:
            record = await stores.accounts.find_by_login(login)
            if record is None:
                raise LookupError(f"no account with login {login!r}")
            store = SqlOptOutStore(stores.db)
            account_id, number = record.account.id, str(kw.get("number") or "")
            rows = await store.settings(account_id)
            if action == "show":
                return rows
            if action == "reset":
                return await store.remove_settings(account_id, number)
            current = resolve(rows, number)
            words = kw.get("keywords")
            start = kw.get("start_keywords")
            changed = OptOutSettings(
                stop_words=parse_words(str(words)) if words is not None else current.stop_words,
                start_words=parse_words(str(start)) if start is not None else current.start_words,
                confirm_text=str(kw.get("confirm_text", current.confirm_text) or ""),
                confirm_start_text=str(
                    kw.get("confirm_start_text", current.confirm_start_text) or ""
                ),
                sender=str(kw.get("sender", current.sender) or ""),
            )
            await store.set_settings(account_id, number, changed, SystemClock().now())
            return changed
        finally:
            await stores.close()

    return run(go)


def _describe(number: str, s: OptOutSettings) -> str:
    return (
        f"{number or '(account)'}\tstop={','.join(s.stop_words)}\t"
        f"start={','.join(s.start_words)}\tconfirm={s.confirm_text!r}\t"
        f"confirm_start={s.confirm_start_text!r}\tsender={s.sender or '(the number written to)'}"
    )


@cli.group()
def optout() -> None:
    """Opt-out by reply: the words that stop (and restart) messages, and the confirmation."""


@optout.command("set")
@click.argument("login")
@click.option("--number", default="", help="Only for MOs sent to this incoming number.")
@click.option("--keywords", default=None, help="Opt-out words, comma-separated (any case).")
@click.option("--start-keywords", default=None, help="Opt-in words, comma-separated.")
@click.option("--confirm-text", default=None, help='SMS answering an opt-out ("" = none).')
@click.option("--confirm-start-text", default=None, help='SMS answering an opt-in ("" = none).')
@click.option("--sender", default=None, help="Sender of the confirmations (default: the number).")
@_db_option
def optout_set(
    login: str,
    number: str,
    keywords: str | None,
    start_keywords: str | None,
    confirm_text: str | None,
    confirm_start_text: str | None,
    sender: str | None,
    database: str | None,
) -> None:
    """Configure LOGIN's opt-out by reply (options not given keep their value)."""
    given = {
        k: v
        for k, v in {
            "keywords": keywords,
            "start_keywords": start_keywords,
            "confirm_text": confirm_text,
            "confirm_start_text": confirm_start_text,
            "sender": sender,
        }.items()
        if v is not None
    }
    changed = _with_store(database, login, "set", number=number, **given)
    assert isinstance(changed, OptOutSettings)
    click.echo(f"{login}: {_describe(number, changed)}")


@optout.command("show")
@click.argument("login")
@_db_option
def optout_show(login: str, database: str | None) -> None:
    """LOGIN's opt-out settings (the defaults when none are set)."""
    rows = _with_store(database, login, "show")
    assert isinstance(rows, dict)
    if not rows:
        click.echo(_describe("", OptOutSettings()) + "\t(defaults)")
    for number in sorted(rows):
        click.echo(_describe(number, rows[number]))


@optout.command("reset")
@click.argument("login")
@click.option("--number", default="", help="The incoming number's row (default: the account's).")
@_db_option
def optout_reset(login: str, number: str, database: str | None) -> None:
    """Back to the defaults (for LOGIN, or its --number)."""
    if not _with_store(database, login, "reset", number=number):
        raise click.ClickException(f"{login} has no opt-out settings for {number or 'the account'}")
    click.echo(f"{login}: opt-out settings of {number or 'the account'} reset")
