"""``smsrelay simulator``: the built-in carrier on its own, for a platform in another process
(or another machine) to bind to; the same SMSC ``serve`` starts in-process by default."""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from ..simulator.smsc import SimulatorConfig, Smsc
from .main import _event_loop_run, cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Listen address.")
@click.option("--port", type=int, default=2776, show_default=True, help="SMPP port (0 = any).")
@click.option("--system-id", default="smsrelay", show_default=True, help="Accepted system_id.")
@click.option("--password", default="smsrelay", show_default=True, help="Accepted password.")
@click.option("--receipt-delay", type=float, default=0.5, show_default=True, help="Seconds.")
def simulator(host: str, port: int, system_id: str, password: str, receipt_delay: float) -> None:
    """Run only the carrier simulator (an SMPP 3.4 SMSC with magic test numbers)."""

    async def go() -> None:
        smsc = Smsc(
            SimulatorConfig(
                host=host,
                port=port,
                system_id=system_id,
                password=password,
                receipt_delay=receipt_delay,
            )
        )
        await smsc.start()
        click.echo(f"simulator SMSC listening on {host}:{smsc.port}")
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await smsc.stop()

    _event_loop_run(go())
