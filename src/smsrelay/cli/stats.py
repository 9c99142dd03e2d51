"""``smsrelay stats LOGIN``: an account's message counts from the summary table."""

from __future__ import annotations

from datetime import date, datetime

import click

from ..bootstrap import open_stores
from ..clock import SystemClock
from ..services.stats import DIMENSIONS, StatsError, StatsService
from ..store.stats import SqlStatsStore
from .main import _db_option, cli, run, settings_from


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise click.ClickException(f"not a date (YYYY-MM-DD): {text!r}") from exc


@cli.command("stats")
@click.argument("login")
@click.option("--since", default=None, help="First UTC day (YYYY-MM-DD); 30 days before --until.")
@click.option("--until", default=None, help="Last UTC day (YYYY-MM-DD); today.")
@click.option(
    "--by",
    default="day,status",
    show_default=True,
    help=f"Comma-separated dimensions: {', '.join(DIMENSIONS)} (empty: one total).",
)
@_db_option
def stats(login: str, since: str | None, until: str | None, by: str, database: str | None) -> None:
    """Messages, parts and cost of account LOGIN per day x status x area x sender x campaign."""
    first, last = _day(since), _day(until)
    group = [g.strip() for g in by.split(",") if g.strip()]
    settings = settings_from(database)

    async def go() -> list[str]:
        stores = await open_stores(settings)
        try:
            record = await stores.accounts.find_by_login(login)
            if record is None:
                raise click.ClickException(f"no account with login {login!r}")
            service = StatsService(SqlStatsStore(stores.db), SystemClock())
            try:
                rows = await service.summary(record.account, first, last, group)
            except StatsError as exc:
                raise click.ClickException(str(exc)) from exc
        finally:
            await stores.close()
        head = [*(g for g in dict.fromkeys(group)), "messages", "parts", "cost"]
        lines = ["\t".join(head)]
        lines += ["\t".join([*r.key, str(r.messages), str(r.parts), str(r.cost)]) for r in rows]
        return lines

    for line in run(go):
        click.echo(line)
