"""``smsrelay serve``: one process running the API, the engine and (by default) the simulator."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click
import uvicorn

from ..api.http_limits import HttpLimits, server_config
from ..bootstrap import build_runtime, ensure_demo_account, ensure_first_operator
from ..config import Settings, mask_url
from ..logs import configure_logging
from .preflight import check_ports_free


def quiet_client_loggers(level: int) -> None:
    """The HTTP client libraries log every request's full URL at INFO (httpx) and DEBUG
    (httpcore): a webhook URL's path or query may hold a client's secret. They log only
    warnings, whatever our level (docs/security.md); the log pipeline redacts besides."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def http_limits(settings: Settings) -> HttpLimits:
    return HttpLimits(
        header_timeout=settings.http_header_timeout,
        body_timeout=settings.http_body_timeout,
        keepalive_timeout=settings.http_keepalive_timeout,
        max_connections=settings.http_max_connections,
    )


async def serve_forever(settings: Settings) -> None:
    check_ports_free(settings)  # before anything starts: a second copy fails here, cleanly
    configure_logging(
        settings.log_level, settings.log_format, message_trail=settings.log_message_trail
    )
    quiet_client_loggers(logging.getLevelName(settings.log_level.upper()))
    runtime = await build_runtime(settings)
    try:
        demo = await ensure_demo_account(settings, runtime.admin, runtime.stores)
        operator = await ensure_first_operator(settings, runtime.stores)
        await runtime.start()
        config = server_config(  # lenient request lines (spec §1.3), bounded connections
            runtime.app,
            host=settings.host,
            port=settings.port,
            limits=http_limits(settings),
            access_log=False,
            log_level="warning",
            log_config=None,  # uvicorn's loggers propagate to our one pipeline (smsrelay.logs)
            lifespan="off",
            loop="none",
            timeout_graceful_shutdown=10,
        )
        server = uvicorn.Server(config)
        # uvicorn < 0.29 installs its own handlers through this method; ours are set below
        server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
            await asyncio.sleep(0.05)
        if server.started:
            sim = runtime.simulator
            smpp = runtime.extras.get("smpp_server")
            port = server.servers[0].sockets[0].getsockname()[1]
            click.echo(
                f"smsrelay is ready: API on http://{settings.host}:{port} "
                "(POST /json, /json/state.php, /json/balance.php), "
                f"database {mask_url(settings.database_url)}"
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
                click.echo(f"client cabinet http://{settings.host}:{port}/lk/ (login demo)")
            if operator:
                click.echo(f"operator console http://{settings.host}:{port}/admin/")
                click.echo(operator.rstrip())
            sys.stdout.flush()
        await serving
    finally:
        await runtime.stop()
