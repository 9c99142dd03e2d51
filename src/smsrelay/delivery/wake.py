"""Several processes on one machine (``serve --workers N``): the wake channel between the
HTTP-only processes and the process that runs the delivery engine.

A process without an engine stores the SMS it accepts as ``queued``; right after the commit
its :class:`WakeSender` (the :class:`~smsrelay.services.ports.Handoff` of that process,
granting no slot) sends a one-byte datagram to the engine's process, whose
:class:`WakeListener` wakes the engine: it claims at once instead of at its next poll
(``poll_interval``). The same socket carries the "ready" note each process sends once it
serves HTTP.

Wakes are bounded and coalesced: at most one datagram per ``min_gap`` seconds per process
(the accepting transactions of that interval share it), sent without blocking; a datagram
that cannot be sent (the listener's queue is full: it is awake anyway) is dropped. Losing one
never loses a message: the engine still polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import structlog

from ..domain.messages import OutboundMessage

__all__ = ["WakeListener", "WakeSender", "send_ready"]

log = structlog.get_logger("smsrelay.wake")

_WAKE = b"w"
_READY = b"r"
_MAX_DATAGRAMS = 256  # read per readiness event at most (then back to the loop)


class WakeListener:
    """The engine's end: a unix datagram socket at ``path``; a wake calls every ``on_wake``
    (once per batch of datagrams), a ready note calls ``on_ready(pid)``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._on_wake: list[Callable[[], None]] = []
        self._on_ready: list[Callable[[int], None]] = []
        self._sock: socket.socket | None = None
        self.wakes = 0  # datagrams received (tests, status)

    def on_wake(self, callback: Callable[[], None]) -> None:
        self._on_wake.append(callback)

    def on_ready(self, callback: Callable[[int], None]) -> None:
        self._on_ready.append(callback)

    def open(self) -> None:
        """Bind the socket (before any other process may send): idempotent."""
        if self._sock is not None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(self.path))
        sock.setblocking(False)
        self._sock = sock

    async def start(self) -> None:
        self.open()
        assert self._sock is not None
        asyncio.get_running_loop().add_reader(self._sock.fileno(), self._read)

    async def stop(self) -> None:
        if self._sock is None:
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
        self._sock.close()
        self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _read(self) -> None:
        sock = self._sock
        if sock is None:
            return
        woken = False
        for _ in range(_MAX_DATAGRAMS):
            try:
                data = sock.recv(64)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                log.exception("wake_read_failed")
                break
            if data == _WAKE:
                woken = True
                self.wakes += 1
            elif data.startswith(_READY) and data[1:].isdigit():
                for ready in self._on_ready:
                    ready(int(data[1:]))
        if woken:
            for wake in self._on_wake:
                wake()


class WakeSender:
    """A process without an engine: the Handoff port that grants no slot (every due SMS is
    stored ``queued``) and, after the commit, wakes the engine's process."""

    def __init__(self, path: Path, *, min_gap: float = 0.001, lease: float = 15.0) -> None:
        self._path = str(path)
        self._min_gap = min_gap
        self._lease = timedelta(seconds=lease)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._last = 0.0
        self._scheduled = False
        self.sent = 0
        self.dropped = 0

    # --- services.ports.Handoff ----------------------------------------------------------

    @property
    def lease(self) -> timedelta:
        return self._lease

    def reserve(self, wanted: int) -> int:
        return 0

    def routes_here(self) -> Callable[[int, str], bool] | None:
        return None  # grants nothing, so filters nothing

    def take(self, messages: Sequence[OutboundMessage], granted: int, queued: int) -> None:
        if queued:
            self.wake()

    def release(self, granted: int) -> None:
        return None

    # --- the wake ------------------------------------------------------------------------

    def wake(self) -> None:
        """Wake the engine's process now, or once ``min_gap`` after the last wake (one
        datagram for every wake of that interval). Never blocks."""
        if self._scheduled:
            return
        wait = self._last + self._min_gap - time.monotonic()
        if wait <= 0:
            self._send()
            return
        self._scheduled = True
        asyncio.get_running_loop().call_later(wait, self._send)

    def _send(self) -> None:
        self._scheduled = False
        self._last = time.monotonic()
        try:
            self._sock.sendto(_WAKE, self._path)
            self.sent += 1
        except (BlockingIOError, InterruptedError, ConnectionRefusedError, FileNotFoundError):
            self.dropped += 1  # full (the engine is awake) or gone (stopping): it polls too

    async def start(self) -> None:  # a worker of its process (closed when it stops)
        return None

    async def stop(self) -> None:
        self._sock.close()


def send_ready(path: Path) -> None:
    """Tell the engine's process (the supervisor) that this process serves HTTP."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5.0)
        sock.sendto(_READY + str(os.getpid()).encode(), str(path))
