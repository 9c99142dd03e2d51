"""``smsrelay serve``: the API, the engine and (by default) the simulator; with several
processes (``workers``, one per CPU core by default) this process is the full node and
supervises the HTTP-only others (:mod:`.workers`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import signal
import socket
import sys
from dataclasses import replace
from typing import Any

import click
import uvicorn

from ..api.http_limits import HttpLimits, server_config
from ..bootstrap import Cluster, Runtime, build_runtime, ensure_demo_account, ensure_first_operator
from ..config import Settings, mask_url
from ..logs import configure_logging
from .preflight import check_ports_free
from .workers import WorkerGroup, listen


async def settle_binds(runtime: Runtime, within: float = 5.0) -> None:
    """Give the carrier binds this start makes a bounded moment (the built-in simulator's take
    a fraction of a second), so that ``/ready`` asked right after the ready line answers for
    them, in every process (the binds snapshot is written at once). A carrier that does not
    bind within it is not waited for: ``/ready`` says so, as it should."""
    ops = runtime.extras.get("operations")
    if ops is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (await ops.ready()).ready and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # the binds report no event to await here
    snapshot = runtime.extras.get("link_snapshot")
    if snapshot is not None:
        snapshot.write()


def settle_heap() -> None:
    """Once built, the platform's long-lived objects (modules, routes, compiled statements,
    caches) are moved out of the collector's sight (``gc.freeze``) and the youngest
    generation is collected less often: the cyclic collector was ~13 % of the event loop's
    time, re-walking those objects (docs/performance.md, "Cost per message")."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


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


def http_server(runtime: Runtime, settings: Settings) -> uvicorn.Server:
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
    return server


async def until_started(server: uvicorn.Server, serving: asyncio.Task[None]) -> bool:
    while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
        await asyncio.sleep(0.05)
    return bool(server.started)


async def serve_forever(settings: Settings) -> None:
    check_ports_free(settings)  # before anything starts: a second copy fails here, cleanly
    count = settings.worker_count()
    configure_logging(
        settings.log_level,
        settings.log_format,
        message_trail=settings.log_message_trail,
        worker=0 if count > 1 else None,
    )
    quiet_client_loggers(logging.getLevelName(settings.log_level.upper()))
    group: WorkerGroup | None = None
    sock: socket.socket | None = None
    if count > 1:  # HTTP-only children on the same socket (docs/scaling.md)
        group = WorkerGroup(settings, count)
        settings = group.settings
        sock = group.socket
    elif settings.port == 0:  # resolved before the build: the Viber callback URL names it
        sock = listen(settings.host, 0)
        settings = replace(settings, port=sock.getsockname()[1])
    try:
        if group is not None:
            await group.spawn()  # they import while this process builds
        await _serve(settings, group, sock)
    finally:
        if group is not None:
            await group.stop()
            group.cleanup()


async def _serve(settings: Settings, group: WorkerGroup | None, sock: socket.socket | None) -> None:
    runtime = await build_runtime(settings, cluster=group.cluster if group else None)
    try:
        demo = await ensure_demo_account(settings, runtime.admin, runtime.stores)
        operator = await ensure_first_operator(settings, runtime.stores)
        await runtime.start()
        await settle_binds(runtime)
        settle_heap()
        server = http_server(runtime, settings)
        loop = asyncio.get_running_loop()
        stopping: list[asyncio.Task[None]] = []

        def stop() -> None:
            if group is None:
                server.should_exit = True
            elif not stopping:  # the children first (bounded), then this process drains
                stopping.append(asyncio.create_task(_stop_group(group, server)))

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        sockets = [sock] if sock is not None else None
        serving = asyncio.create_task(server.serve(sockets=sockets))
        try:
            if await until_started(server, serving):
                port = server.servers[0].sockets[0].getsockname()[1]
                if group is not None:
                    await _release(group, runtime, settings, port, serving)
                if not serving.done():
                    _print_ready(settings, runtime, port, demo, operator)
        except BaseException:  # a child could not start: stop serving, then fail
            server.should_exit = True
            with contextlib.suppress(Exception):
                await serving
            raise
        await serving
        for task in stopping:
            await task
    finally:
        await runtime.stop()


async def _stop_group(group: WorkerGroup, server: uvicorn.Server) -> None:
    try:
        await group.stop()
    finally:
        server.should_exit = True


async def _release(
    group: WorkerGroup, runtime: Runtime, settings: Settings, port: int, serving: Any
) -> None:
    """Start the children with this process's resolved ports; wait until they serve."""
    smpp = runtime.extras.get("smpp_server")
    sim = runtime.simulator
    resolved = replace(
        settings,
        port=port,
        smpp_server_port=smpp.port if smpp is not None else settings.smpp_server_port,
        simulator_port=sim.port if sim is not None else settings.simulator_port,
        workers=group.count,
    )
    listener = runtime.extras["wake_listener"]
    releasing = asyncio.create_task(group.release(resolved, listener.on_ready))
    await asyncio.wait([releasing, serving], return_when=asyncio.FIRST_COMPLETED)
    if not releasing.done():  # stopped (a signal) before the children were ready
        releasing.cancel()
        with contextlib.suppress(asyncio.CancelledError, click.ClickException):
            await releasing
        return
    await releasing  # a child that could not start: the error, and everything stops


def _print_ready(
    settings: Settings, runtime: Runtime, port: int, demo: str | None, operator: str | None
) -> None:
    sim = runtime.simulator
    smpp = runtime.extras.get("smpp_server")
    count = settings.worker_count()
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
    if count > 1:  # its own line: scripts parse the ready line's ports (kept as it was)
        click.echo(f"{count} processes serve the API on port {port} (--workers {count})")
    if demo:
        click.echo(demo.rstrip())
        click.echo(f"client cabinet http://{settings.host}:{port}/lk/ (login demo)")
    if operator:
        click.echo(f"operator console http://{settings.host}:{port}/admin/")
        click.echo(operator.rstrip())
    sys.stdout.flush()


# modules bootstrap imports while it builds: a child imports them before its settings come
_PRELOAD = (
    "smsrelay.api.app",
    "smsrelay.api.xml_core",
    "smsrelay.api.xml_data",
    "smsrelay.api.xml_send",
    "smsrelay.api.xml_account",
    "smsrelay.api.operations",
    "smsrelay.web.app",
    "smsrelay.services.console",
    "smsrelay.services.cabinet",
    "smsrelay.services.web_access",
    "smsrelay.store.cabinet",
    "smsrelay.delivery.webhooks",
    "smsrelay.delivery.viber_dispatch",
    "smsrelay.delivery.link_snapshot",
    "smsrelay.telemetry",
    "aiosqlite",
    "asyncpg",
)


def preload() -> None:
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


async def serve_worker(settings: Settings, cluster: Cluster, fd: int) -> None:
    """An HTTP-only process (:mod:`.worker_process`): the API and the web pages on the
    inherited socket ``fd``; "ready" to worker 0 once it serves."""
    configure_logging(
        settings.log_level,
        settings.log_format,
        message_trail=settings.log_message_trail,
        worker=cluster.worker,
    )
    quiet_client_loggers(logging.getLevelName(settings.log_level.upper()))
    sock = socket.socket(fileno=fd)
    runtime = await build_runtime(settings, cluster=cluster)
    try:
        await runtime.start()
        settle_heap()
        server = http_server(runtime, settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        if await until_started(server, serving):
            cluster.send_ready()
        await serving
    finally:
        await runtime.stop()
