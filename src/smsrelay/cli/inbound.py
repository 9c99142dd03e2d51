"""Incoming SMS commands: ``number add/list/remove`` (routing of MOs to accounts) and
``simulate mo`` (make the built-in carrier send an MO to the platform).

``simulate mo`` is a tiny SMPP client: it binds to the simulator with its credentials and
system_type ``MO`` (see :mod:`smsrelay.simulator.smsc`) and submits the text; the simulator
turns it into a deliver_sm to the platform's binds and answers once the platform took it.
"""

from __future__ import annotations

import click

from .. import text as textcodec
from ..bootstrap import open_stores
from ..clock import SystemClock
from ..services.autoreply import AutoReplyService
from ..services.inbound import InboundNumber, InboundService, NumberError
from ..simulator.control import ControlError, control_submit
from ..simulator.smsc import MO_SYSTEM_TYPE
from ..smpp import Pdu, Tag, Tlv, status_name
from ..smpp.constants import DC_GSM7, DC_UCS2
from ..store.autoreply import SqlAutoReplyStore
from ..store.inbound import SqlInboundStore
from .main import _db_option, cli, run, settings_from

MAX_SHORT_MESSAGE = 254  # SMPP 3.4 §5.2.22; longer texts go in message_payload (§5.3.2.32)


def _with_inbound(
    database: str | None, login: str | None, action: str, *args: str | None
) -> object:
    settings = settings_from(database)

    async def go() -> object:
        stores = await open_stores(settings)
        try:
            service = InboundService(SqlInboundStore(stores.db), SystemClock())
            replies = AutoReplyService(SqlAutoReplyStore(stores.db), stores.accounts)
            account_id: int | None = None
            if login is not None:
                record = await stores.accounts.find_by_login(login)
                if record is None:
                    raise NumberError(f"no account with login {login!r}")
                account_id = record.account.id
            if action == "add":
                assert account_id is not None
                entry = await service.add_number(account_id, args[0] or "", args[1])
                if len(args) > 2 and args[2]:
                    await replies.set_reply(account_id, entry.number, entry.keyword, args[2])
                return entry
            if action == "reply":
                assert account_id is not None
                await replies.set_reply(account_id, args[0] or "", args[1], args[2])
                return True
            if action == "remove":
                assert account_id is not None
                return await service.remove_number(account_id, args[0] or "", args[1])
            numbers = await service.numbers(account_id)
            logins: dict[int, str] = {}
            for n in numbers:
                if n.account_id not in logins:
                    acc = await stores.accounts.get(n.account_id)
                    logins[n.account_id] = acc.login if acc is not None else str(n.account_id)
            return [(logins[n.account_id], n) for n in numbers]
        finally:
            await stores.close()

    return run(go)


@cli.group()
def number() -> None:
    """Incoming numbers: which account receives the MO messages sent to a number."""


@number.command("add")
@click.argument("login")
@click.argument("phone", metavar="NUMBER")
@click.option(
    "--prefix",
    "keyword",
    default=None,
    help="Keyword on a shared number: MOs starting with it (any case) go to LOGIN.",
)
@click.option(
    "--auto-reply",
    "reply",
    default=None,
    help="Answer each MO it routes with this text, from NUMBER, charged to LOGIN.",
)
@_db_option
def number_add(
    login: str, phone: str, keyword: str | None, reply: str | None, database: str | None
) -> None:
    """Route MOs sent to NUMBER to LOGIN (all of them, or those starting with --prefix)."""
    entry = _with_inbound(database, login, "add", phone, keyword, reply)
    assert isinstance(entry, InboundNumber)
    how = f"keyword {entry.keyword}" if entry.keyword else "dedicated"
    click.echo(f"{login}: number {entry.number} ({how})")


@number.command("list")
@click.argument("login", required=False)
@_db_option
def number_list(login: str | None, database: str | None) -> None:
    """List incoming numbers (of LOGIN, or all)."""
    rows = _with_inbound(database, login, "list")
    assert isinstance(rows, list)
    for owner, n in rows:
        click.echo(f"{n.number}\t{n.keyword or '(dedicated)'}\t{owner}")


@number.command("reply")
@click.argument("login")
@click.argument("phone", metavar="NUMBER")
@click.argument("text", required=False)
@click.option("--prefix", "keyword", default=None, help="The keyword on a shared number.")
@click.option("--clear", is_flag=True, help="Remove the auto-reply.")
@_db_option
def number_reply(
    login: str,
    phone: str,
    text: str | None,
    keyword: str | None,
    clear: bool,
    database: str | None,
) -> None:
    """Set the auto-reply TEXT of LOGIN's NUMBER (or its --prefix keyword), or --clear it.

    Each MO the number/keyword routes is answered with TEXT, sent from NUMBER to the MO's
    sender and charged to LOGIN like any message (opt-out words get no auto-reply)."""
    if clear == bool(text):
        raise click.UsageError("give TEXT or --clear (one of them)")
    _with_inbound(database, login, "reply", phone, keyword, None if clear else text)
    what = f"{phone} {keyword or ''}".rstrip()
    click.echo(f"{login}: auto-reply {'cleared' if clear else 'set'} on {what}")


@number.command("remove")
@click.argument("login")
@click.argument("phone", metavar="NUMBER")
@click.option("--prefix", "keyword", default=None, help="The keyword to remove.")
@_db_option
def number_remove(login: str, phone: str, keyword: str | None, database: str | None) -> None:
    """Stop routing NUMBER (or its --prefix keyword) to LOGIN."""
    removed = _with_inbound(database, login, "remove", phone, keyword)
    if not removed:
        raise click.ClickException(f"{login} has no such number/keyword: {phone} {keyword or ''}")
    click.echo(f"{login}: removed {phone} {keyword or ''}".rstrip())


def _simulate_group() -> click.Group:
    """The ``simulate`` group, shared with other simulator commands (created once)."""
    existing = cli.commands.get("simulate")
    if isinstance(existing, click.Group):
        return existing

    @cli.group()
    def simulate() -> None:
        """Drive the built-in carrier simulator of a running server."""

    return simulate


class MoRefused(Exception):
    """The simulator could not be reached or did not pass the MO on."""


async def send_mo(
    source: str,
    destination: str,
    message: str,
    *,
    host: str,
    port: int,
    system_id: str,
    password: str,
    timeout: float,  # noqa: ASYNC109 - one budget for connect, bind, submit and unbind
) -> None:
    """Bind with system_type ``MO``, submit the text, unbind; MoRefused on any failure."""
    encoding = textcodec.choose_encoding(message)
    body = textcodec.encode(message, encoding)
    tlvs: tuple[Tlv, ...] = ()
    short = body
    if len(body) > MAX_SHORT_MESSAGE:
        tlvs, short = (Tlv(Tag.MESSAGE_PAYLOAD, body),), b""
    try:
        await control_submit(
            MO_SYSTEM_TYPE,
            lambda seq: Pdu.submit_sm(
                sequence=seq,
                source_addr=source,
                destination_addr=destination,
                data_coding=DC_UCS2 if encoding is textcodec.Encoding.UCS2 else DC_GSM7,
                short_message=short,
                tlvs=tlvs,
            ),
            host=host,
            port=port,
            system_id=system_id,
            password=password,
            within=timeout,
            refused=lambda status: (
                f"the platform did not take the MO ({status_name(status)}): "
                "is a platform bound to the simulator?"
            ),
        )
    except ControlError as exc:
        raise MoRefused(str(exc)) from exc


simulate = _simulate_group()


@simulate.command("mo")
@click.argument("source", metavar="FROM")
@click.argument("destination", metavar="TO")
@click.argument("message", metavar="TEXT")
@click.option("--host", default=None, help="Simulator SMPP host (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Simulator SMPP port (default 2776).")
@click.option("--system-id", default=None, help="Simulator system_id (default smsrelay).")
@click.option("--password", default=None, help="Simulator password (default smsrelay).")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait.")
def simulate_mo(
    source: str,
    destination: str,
    message: str,
    host: str | None,
    port: int | None,
    system_id: str | None,
    password: str | None,
    timeout: float,
) -> None:
    """Make the simulated carrier send TEXT from subscriber FROM to number TO (an MO)."""
    settings = settings_from(
        None,
        simulator_host=host,
        simulator_port=port,
        simulator_system_id=system_id,
        simulator_password=password,
    )

    async def go() -> None:
        await send_mo(
            source,
            destination,
            message,
            host=settings.simulator_host,
            port=settings.simulator_port,
            system_id=settings.simulator_system_id,
            password=settings.simulator_password,
            timeout=timeout,
        )

    try:
        run(go)
    except MoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"MO from {source} to {destination} delivered to the platform")
