"""``smsrelay serve`` as a real process for the start-up tests: start, wait for ready, stop.

Two threads drain its stdout and stderr from the start (a full pipe would block it), so every
line it printed is kept, in order, whatever happens."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

READY_TIMEOUT = 90.0


@dataclass
class Process:
    proc: subprocess.Popen[str]
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    threads: list[threading.Thread] = field(default_factory=list)
    ready: str = ""  # the "smsrelay is ready" line

    @property
    def url(self) -> str:
        return self.ready.split("API on ")[1].split()[0]

    @property
    def output(self) -> str:
        """Everything it printed so far (all of it once stopped)."""
        return "".join(self.stdout) + "".join(self.stderr)


def _drain(stream: IO[str], into: list[str], notify: queue.Queue[str | None] | None) -> None:
    for line in stream:
        into.append(line)
        if notify is not None:
            notify.put(line)
    if notify is not None:
        notify.put(None)


def _any_free_smpp_port(args: list[str]) -> list[str]:
    """The customer SMPP server on a free port unless the test names one (tests run beside
    each other: never the fixed 2775)."""
    given = any(a in ("--smpp-server-port", "--no-smpp-server") for a in args)
    return [] if given else ["--smpp-server-port", "0"]


def spawn(args: list[str], cwd: Path, **env: str) -> Process:
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsrelay", "serve", *args, *_any_free_smpp_port(args)],
        cwd=cwd,
        env={**os.environ, "SMSRELAY_SIMULATOR_RECEIPT_DELAY": "0", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    running = Process(proc)
    assert proc.stdout is not None and proc.stderr is not None
    for stream, into, notify in (
        (proc.stdout, running.stdout, running.lines),
        (proc.stderr, running.stderr, None),
    ):
        thread = threading.Thread(target=_drain, args=(stream, into, notify), daemon=True)
        thread.start()
        running.threads.append(thread)
    return running


def wait_ready(running: Process) -> Process:
    """Until the ready line (its exit first fails the test with what it printed)."""
    while True:
        try:
            line = running.lines.get(timeout=READY_TIMEOUT)
        except queue.Empty:
            stop(running)
            raise AssertionError(f"not ready in {READY_TIMEOUT} s: {running.output}") from None
        if line is None:
            stop(running)
            raise AssertionError(f"serve exited {running.proc.returncode}: {running.output}")
        if "smsrelay is ready" in line:
            running.ready = line
            return running


def stop(running: Process) -> int:
    """SIGTERM, wait (bounded, then SIGKILL); its exit code, all its output collected."""
    proc = running.proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for thread in running.threads:
        thread.join(timeout=30)
    return proc.returncode


@contextmanager
def serving(args: list[str], cwd: Path, **env: str) -> Iterator[Process]:
    """A ready ``serve``; stopped (and its output complete) when the block ends."""
    running = spawn(args, cwd, **env)
    try:
        yield wait_ready(running)
    finally:
        stop(running)
