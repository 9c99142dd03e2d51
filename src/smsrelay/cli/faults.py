"""``smsrelay simulate fault …``: inject carrier faults into a running simulator.

The plan goes over SMPP (a control bind, see :mod:`smsrelay.simulator.control`), so it
works against the simulator of any ``smsrelay serve`` that can be reached.
"""

from __future__ import annotations

import click

from ..simulator.control import ControlError, send_fault_plan
from ..simulator.faults import FaultPlan
from .main import cli, run, settings_from


def _simulate_group() -> click.Group:
    """The ``simulate`` group, shared with other simulator commands (created once)."""
    existing = cli.commands.get("simulate")
    if isinstance(existing, click.Group):
        return existing

    @cli.group()
    def simulate() -> None:
        """Drive the built-in carrier simulator of a running server."""

    return simulate


simulate = _simulate_group()


@simulate.command("fault")
@click.argument("plan", nargs=-1, required=True)
@click.option("--host", default=None, help="Simulator SMPP host (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Simulator SMPP port (default 2776).")
@click.option("--system-id", default=None, help="Simulator system_id (default smsrelay).")
@click.option("--password", default=None, help="Simulator password (default smsrelay).")
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds to wait.")
def fault(
    plan: tuple[str, ...],
    host: str | None,
    port: int | None,
    system_id: str | None,
    password: str | None,
    timeout: float,
) -> None:
    """Put a fault plan in force: key=value words, or `clear`.

    \b
    drop_every=S          cut the link every S seconds
    throttle=X            share X of submits answered ESME_RTHROTTLED
    temp_error=X          share X answered ESME_RSYSERR (temporary)
    delay=X delay_seconds=S   hold a share X of responses back S seconds
    receipt_first=1       each receipt before its submit_sm_resp
    duplicate_receipts=1  each receipt twice
    unknown_receipts=X    extra receipts for ids never issued
    malformed=X malformed_kind=garbage|length   malformed PDUs after a share X of submits

    Example: smsrelay simulate fault throttle=0.1 drop_every=5
    """
    try:
        parsed = FaultPlan.parse(" ".join(plan))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = settings_from(
        None,
        simulator_host=host,
        simulator_port=port,
        simulator_system_id=system_id,
        simulator_password=password,
    )

    async def go() -> None:
        await send_fault_plan(
            parsed,
            host=settings.simulator_host,
            port=settings.simulator_port,
            system_id=settings.simulator_system_id,
            password=settings.simulator_password,
            within=timeout,
        )

    try:
        run(go)
    except ControlError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"faults in force: {parsed.describe()}")
