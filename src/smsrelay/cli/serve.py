"""``smsrelay serve``: one process running the API, the engine and (by default) the simulator."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click
import structlog
import uvicorn

from ..api.lenient_http import LenientHttpToolsProtocol
from ..bootstrap import build_runtime, ensure_demo_account
from ..config import Settings


def configure_logging(level: str) -> None:
    lvl = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=lvl, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        cache_logger_on_first_use=True,
    )


async def serve_forever(settings: Settings) -> None:
    configure_logging(settings.log_level)
    runtime = await build_runtime(settings)
    try:
        demo = await ensure_demo_account(settings, runtime.admin, runtime.stores)
        await runtime.start()
        config = uvicorn.Config(
            runtime.app,
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_level="warning",
            lifespan="off",
            loop="none",
            http=LenientHttpToolsProtocol,  # unencoded GET request lines (spec §1.3)
            timeout_graceful_shutdown=10,
        )
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        if server.started:
            sim = runtime.simulator
            smpp = runtime.extras.get("smpp_server")
            port = server.servers[0].sockets[0].getsockname()[1]
            click.echo(
                f"smsrelay is ready: API on http://{settings.host}:{port} "
                "(POST /json, /json/state.php, /json/balance.php), "
                f"database {settings.database_url}"
                + (
                    f", customer SMPP server on {settings.smpp_server_host}:{smpp.port}"
                    if smpp is not None
                    else ""
                )
                + (f", simulator SMSC on {settings.simulator_host}:{sim.port}" if sim else ""),
                err=False,
            )
            if demo:
                click.echo(demo.rstrip())
            sys.stdout.flush()
        await serving
    finally:
        await runtime.stop()
