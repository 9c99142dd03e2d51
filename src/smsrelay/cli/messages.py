"""``smsrelay messages search|show``: find messages for support, see one message's story."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import click

from ..bootstrap import open_stores
from ..domain.money import Money
from ..domain.status import MessageStatus
from ..services.message_lookup import MessageDetail, MessageLookup, MessageRow, SearchFilter
from .main import _db_option, cli, run, settings_from

__all__ = ["messages"]

_COLUMNS = (
    "id", "account", "phone", "sender", "channel", "status", "parts", "price",
    "created_at", "status_at", "connector",
)  # fmt: skip


def _instant(text: str | None) -> datetime | None:
    """ISO date or date-time; without a zone it is UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO date or date-time: {text!r}") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def money_text(value: Money) -> str:
    """At least two decimals, every significant one kept (prices can have micro-units)."""
    whole, _, frac = value.format().partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, Money):
        return money_text(value)
    if isinstance(value, MessageStatus):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _cells(row: MessageRow) -> list[str]:
    values = [getattr(row, c) for c in _COLUMNS]
    return ["" if v is None else str(_plain(v)) for v in values]


async def _lookup(database: str | None) -> tuple[MessageLookup, Any]:
    from ..store.message_lookup import SqlMessageLookup

    stores = await open_stores(settings_from(database), run_migrations=False)
    return MessageLookup(SqlMessageLookup(stores.db)), stores


@cli.group()
def messages() -> None:
    """Find messages and show what happened to one (support cases)."""


@messages.command("search")
@click.option("--account", default=None, help="Account login.")
@click.option("--phone", default=None, help="Recipient (international digits; 7900* = prefix).")
@click.option("--status", type=click.Choice([s.value for s in MessageStatus]), default=None)
@click.option("--sender", default=None, help="Sender name.")
@click.option("--since", default=None, help="Created at or after (ISO date/time, UTC).")
@click.option("--until", default=None, help="Created before (ISO date/time, UTC).")
@click.option("--limit", type=int, default=100, show_default=True, help="Most rows (newest first).")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header line.")
@_db_option
def search(
    account: str | None,
    phone: str | None,
    status: str | None,
    sender: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_csv: bool,
    database: str | None,
) -> None:
    """Messages matching every filter given, newest first."""
    try:
        flt = SearchFilter(
            account=account,
            phone=phone.lstrip("+") if phone else None,
            status=MessageStatus(status) if status else None,
            sender=sender,
            since=_instant(since),
            until=_instant(until),
            limit=limit,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc

    async def go() -> list[MessageRow]:
        lookup, stores = await _lookup(database)
        try:
            return await lookup.search(flt)
        finally:
            await stores.close()

    rows = run(go)
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_COLUMNS)
        writer.writerows(_cells(r) for r in rows)
        click.echo(out.getvalue(), nl=False)
        return
    table = [list(_COLUMNS), *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    for line in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    click.echo(f"({len(rows)} message{'s' if len(rows) != 1 else ''})")


@messages.command("show")
@click.argument("message_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_db_option
def show(message_id: int, as_json: bool, database: str | None) -> None:
    """Everything about one message: parts, carrier ids, receipts, attempts, route, charges
    and refunds, webhook deliveries."""

    async def go() -> MessageDetail:
        lookup, stores = await _lookup(database)
        try:
            return await lookup.show(message_id)
        finally:
            await stores.close()

    detail = run(go)
    doc = _document(detail)
    if as_json:
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    click.echo(_human(doc))


def _document(d: MessageDetail) -> dict[str, Any]:
    m = d.message
    out: dict[str, Any] = {c: _plain(getattr(m, c)) for c in _COLUMNS}
    out.update(
        client_id_sms=d.client_id_sms,
        kind=d.kind,
        due_at=_plain(d.due_at),
        valid_until=_plain(d.valid_until),
        attempts=d.attempts,
        lease_until=_plain(d.lease_until),
        parts_detail=_plain(d.parts),
        money=_plain(d.money),
        webhooks=_plain(d.webhooks),
        receipt_queries=_plain(d.receipt_queries),
    )
    return out


def _human(doc: dict[str, Any]) -> str:
    lines = [
        f"message {doc['id']}  {doc['status']}  account {doc['account']}",
        f"  to {doc['phone']} from {doc['sender']} ({doc['channel']}, {doc['kind']}), "
        f"{doc['parts']} part(s) at {doc['price']}",
        f"  created {doc['created_at']}, due {doc['due_at']}, valid until {doc['valid_until']}",
        f"  status at {doc['status_at'] or '-'}; route/connector {doc['connector'] or '-'}; "
        f"delivery attempts {doc['attempts']}",
        "parts:",
    ]
    for p in doc["parts_detail"] or []:
        lines.append(
            f"  #{p['part_no']} via {p['connector']} carrier id {p['carrier_id']}: "
            f"{p['state']} at {p['updated_at']}"
        )
    if not doc["parts_detail"]:
        lines.append("  (none submitted)")
    lines.append("money:")
    for r in doc["money"] or []:
        lines.append(f"  {r['kind']} {r['amount']} at {r['at']}")
    for q in doc["receipt_queries"] or []:
        lines.append(f"query_sm: part #{q['part_no']} {q['result']} at {q['at']}")
    lines.append("webhooks:")
    for h in doc["webhooks"] or []:
        lines.append(
            f"  status {h['status']}: {h['state']} after {h['attempts']} attempt(s)"
            + (f", last {h['last_result']}" if h["last_result"] else "")
        )
    if not doc["webhooks"]:
        lines.append("  (none)")
    return "\n".join(lines)
