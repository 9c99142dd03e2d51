"""``smsrelay serve --workers N``: the supervisor of the HTTP-only processes (docs/scaling.md,
"One machine, several processes").

The ``serve`` process (worker 0) is the full node. Before building itself it makes the run
directory (private, removed at exit: the wake socket, the binds snapshot, the metrics files),
binds the HTTP socket (port 0 resolved here) and spawns ``N-1`` children
(``python -m smsrelay.cli.worker_process``) that inherit the listening socket. A child imports
everything while worker 0 builds, then waits on its stdin for the settings (with the ports
resolved), serves HTTP on the inherited socket and says "ready" on the wake socket.

A child dies with worker 0 whatever kills it (``PR_SET_PDEATHSIG``, set by the child itself),
runs in its own session (a terminal's Ctrl-C reaches worker 0 alone, which stops the children
first), and is restarted if it exits on its own (logged once per exit, with a growing pause
when it keeps crashing).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import click
import structlog

from ..bootstrap import Cluster
from ..config import Settings
from ..telemetry import mark_process_dead, prepare_run_dir

__all__ = ["WorkerGroup"]

log = structlog.get_logger("smsrelay.workers")

READY_WITHIN = 120.0  # seconds for a child to serve after it got its settings
STOP_WITHIN = 20.0  # seconds for the children to end after SIGTERM (then SIGKILL)
_BACKLOG = 2048  # as uvicorn's default


@dataclass
class _Child:
    number: int
    proc: asyncio.subprocess.Process | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    started_at: float = 0.0
    crashes: int = 0  # exits in a row soon after start (the restart pause grows)


class WorkerGroup:
    """The ``N-1`` HTTP-only children of worker 0, on one HTTP socket."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.count = count
        self.run_dir = Path(tempfile.mkdtemp(prefix="smsrelay-run-"))  # mode 0700
        self.cluster = Cluster(self.run_dir, 0)
        if settings.metrics:
            base = settings.metrics_dir or self.run_dir
            metrics_dir = str(prepare_run_dir(base))  # fresh: no earlier run's files
            settings = replace(settings, metrics_dir=metrics_dir)
        self.settings = settings
        try:
            self.socket = listen(settings.host, settings.port)
        except OSError:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            raise
        # port 0 resolved: what is built from the port (the Viber callback URL) gets the real one
        self.settings = replace(settings, port=self.socket.getsockname()[1])
        self._children = [_Child(n) for n in range(1, count)]
        self._child_settings: bytes | None = None
        self._stopping = False
        self._watchers: list[asyncio.Task[None]] = []

    # --- start ---------------------------------------------------------------------------

    async def spawn(self) -> None:
        """Start every child now (they import while worker 0 builds; they wait for
        :meth:`release` before they touch the database)."""
        for child in self._children:
            await self._spawn(child)

    async def _spawn(self, child: _Child) -> None:
        child.ready = asyncio.Event()
        child.started_at = time.monotonic()
        child.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "smsrelay.cli.worker_process",
            str(os.getpid()),
            str(child.number),
            str(self.run_dir),
            str(self.socket.fileno()),
            stdin=asyncio.subprocess.PIPE,
            pass_fds=(self.socket.fileno(),),
            start_new_session=True,  # Ctrl-C reaches worker 0 only: it stops them in order
        )
        if self._child_settings is not None:
            await self._send_settings(child)

    async def _send_settings(self, child: _Child) -> None:
        proc = child.proc
        assert proc is not None and proc.stdin is not None and self._child_settings is not None
        with contextlib.suppress(ConnectionError):  # it died already: its watcher restarts it
            proc.stdin.write(self._child_settings)
            await proc.stdin.drain()
            proc.stdin.close()

    async def release(self, settings: Settings, on_ready: Any) -> None:
        """Give the children their settings (``settings``: worker 0's, ports resolved) and
        wait until each serves HTTP (bounded); ``on_ready`` registers the ready callback."""
        on_ready(self._ready)
        self._child_settings = json.dumps(asdict(settings), default=dict).encode()
        for child in self._children:
            await self._send_settings(child)
            self._watchers.append(asyncio.create_task(self._watch(child)))
        deadline = time.monotonic() + READY_WITHIN
        for child in self._children:
            assert child.proc is not None
            exited = asyncio.create_task(child.proc.wait())
            ready = asyncio.create_task(child.ready.wait())
            await asyncio.wait(
                [exited, ready],
                timeout=max(0.0, deadline - time.monotonic()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in (exited, ready):
                task.cancel()
            if not child.ready.is_set():
                code = child.proc.returncode
                raise click.ClickException(
                    f"HTTP worker {child.number} "
                    + (f"exited with code {code}" if code is not None else "did not start")
                    + " before it was ready (see its log lines above, worker="
                    + f"{child.number}); --workers 1 runs in one process"
                )

    def _ready(self, pid: int) -> None:
        for child in self._children:
            if child.proc is not None and child.proc.pid == pid:
                child.ready.set()
                if child.crashes:
                    log.info("worker_restarted", worker=child.number, pid=pid)

    def pids(self) -> list[int]:
        return [c.proc.pid for c in self._children if c.proc is not None]

    # --- supervision ---------------------------------------------------------------------

    async def _watch(self, child: _Child) -> None:
        while True:
            assert child.proc is not None
            code = await child.proc.wait()
            if self._stopping:
                return
            if self.settings.metrics_dir:
                mark_process_dead(child.proc.pid, self.settings.metrics_dir)
            lived = time.monotonic() - child.started_at
            child.crashes = child.crashes + 1 if lived < 30 else 1
            pause = min(30.0, 0.5 * 2 ** (child.crashes - 1))
            log.error(
                "worker_exited",
                worker=child.number,
                pid=child.proc.pid,
                code=code,
                restart_in=pause,
            )
            await asyncio.sleep(pause)  # a crash loop must not spin
            if self._stopping:
                return
            await self._spawn(child)

    # --- stop ----------------------------------------------------------------------------

    async def stop(self) -> None:
        """SIGTERM to every child, wait (bounded by :data:`STOP_WITHIN`), SIGKILL the late
        ones. Idempotent."""
        if self._stopping:
            return
        self._stopping = True
        for task in self._watchers:
            task.cancel()
        live = [c.proc for c in self._children if c.proc and c.proc.returncode is None]
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.close()  # one still waiting for its settings ends at EOF
        if live:
            _done, late = await asyncio.wait(
                [asyncio.create_task(p.wait()) for p in live], timeout=STOP_WITHIN
            )
            if late:
                log.warning("workers_killed", count=len(late), after=STOP_WITHIN)
                for proc in live:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                await asyncio.gather(*(p.wait() for p in live))
        bad = [
            (c.number, c.proc.returncode) for c in self._children if c.proc and c.proc.returncode
        ]
        if bad:
            log.warning("workers_exit_codes", codes=dict(bad))

    def cleanup(self) -> None:
        """Worker 0 is done: close the socket, remove the run directory (and the metrics
        files, when they were made under it or in the configured ``metrics_dir``)."""
        with contextlib.suppress(OSError):
            self.socket.close()
        if self.settings.metrics_dir:
            shutil.rmtree(self.settings.metrics_dir, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def listen(host: str, port: int) -> socket.socket:
    """The HTTP socket, bound and listening (bound like uvicorn binds its own); shared with
    the children when there are several processes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def child_settings(data: bytes) -> Settings:
    """The settings a child received on its stdin (:meth:`WorkerGroup.release`)."""
    values: dict[str, Any] = json.loads(data)
    return Settings(**values)
