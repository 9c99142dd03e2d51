"""``smsrelay send``: send one SMS through a running server's JSON API and wait for its status."""

from __future__ import annotations

import time
from pathlib import Path

import click
import httpx

from ..config import demo_account_path
from .main import _db_option, cli, settings_from

_FINAL = {"deliver", "not_deliver", "expired", "read", "partly_deliver"}


def _demo_credentials(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    creds: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, _, value = line.strip().partition(":")
        if key in ("login", "password", "token") and value.strip():
            creds[key] = value.strip()
    return creds


@cli.command()
@click.option("--to", "phone", default=None, help="Recipient, international format (79001234567).")
@click.option(
    "--base",
    "base",
    type=int,
    default=None,
    help="Send to every subscriber of this base (id_base) instead; {name} etc. are filled in.",
)
@click.option("--name-delivery", default=None, help="Campaign name (name_delivery).")
@click.option("--text", required=True, help="Message text.")
@click.option("--sender", default="smsrelay", show_default=True, help="Sender name.")
@click.option("--login", default=None, help="Account login (default: the demo account).")
@click.option("--password", default=None, help="Account password.")
@click.option("--token", default=None, help="Account token instead of login/password.")
@click.option("--url", default="http://127.0.0.1:8080", show_default=True, help="Server base URL.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait.")
@_db_option
@click.option("--data-dir", default=None, help="Data folder (a PostgreSQL demo account's file).")
def send(
    phone: str | None,
    base: int | None,
    name_delivery: str | None,
    text: str,
    sender: str,
    login: str | None,
    password: str | None,
    token: str | None,
    url: str,
    timeout: float,
    database: str | None,
    data_dir: str | None,
) -> None:
    """Send one SMS and print its id, then its final status; or with --base, one SMS per
    subscriber of a base (docs/campaigns.md) and print each id or refusal."""
    if (phone is None) == (base is None):
        raise click.ClickException("give either --to PHONE or --base ID_BASE")
    creds: dict[str, str] = {}
    if token:
        creds = {"token": token}
    elif login and password:
        creds = {"login": login, "password": password}
    else:
        settings = settings_from(database, data_dir=data_dir)
        demo = _demo_credentials(demo_account_path(settings.database_url, settings.data_dir))
        if not demo:
            raise click.ClickException("give --login/--password or --token (no demo account found)")
        creds = {"login": demo["login"], "password": demo["password"]}
    if base is not None:
        _send_base(url, creds, base, sender, text, name_delivery)
        return
    assert phone is not None
    body = {
        **creds,
        "message": [
            {"type_send_1": "sms", "sender": sender, "text": text, "phones": [{"phone": phone}]}
        ],
    }
    root = url.rstrip("/")
    try:
        with httpx.Client(timeout=10.0) as http:
            answer = http.post(f"{root}/json", json=body).json()
            if "error" in answer:
                raise click.ClickException(answer["error"])
            info = answer["information"][0]
            if "id_sms" not in info:
                raise click.ClickException(info.get("error", "refused"))
            id_sms = info["id_sms"]
            click.echo(f"id_sms {id_sms}: send")
            deadline = time.monotonic() + timeout
            state = "send"
            while time.monotonic() < deadline:
                rows = http.post(f"{root}/json/state.php", json={**creds, "id_sms": id_sms}).json()
                state = rows[0]["state"] if isinstance(rows, list) else rows.get("error", "?")
                if state in _FINAL:
                    break
                time.sleep(0.2)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {root}: {exc}") from exc
    click.echo(f"id_sms {id_sms}: {state}")
    if state not in _FINAL:
        raise click.ClickException(f"no final status within {timeout:g} s")


def _send_base(
    url: str,
    creds: dict[str, str],
    base: int,
    sender: str,
    text: str,
    name_delivery: str | None,
) -> None:
    body: dict[str, object] = {**creds, "id_base": base, "sender": sender, "text": text}
    if name_delivery:
        body["name_delivery"] = name_delivery
    try:
        with httpx.Client(timeout=60.0) as http:
            answer = http.post(f"{url.rstrip('/')}/json/send_base.php", json=body).json()
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from exc
    if "error" in answer:
        raise click.ClickException(answer["error"])
    sent = 0
    for row in answer["information"]:
        if "id_sms" in row:
            sent += 1
            click.echo(f"{row['phone']}: id_sms {row['id_sms']}")
        else:
            click.echo(f"{row['phone']}: {row.get('error', 'refused')}")
    click.echo(f"{sent} of {len(answer['information'])} accepted")
