"""Several processes on one machine (``serve --workers N``): the carrier binds as the engine's
process sees them, for the processes that have no engine.

The engine's process writes a small JSON snapshot (binds, routed connectors, rates, the
console's connector lines) into the run directory about once a second, atomically (a
temporary file renamed over the old one). An HTTP-only process answers ``/ready``,
``/status.json`` and the console's Live page from it (:class:`LinkSnapshot`); a snapshot older
than ``stale_after`` seconds means the engine's process is not answering: not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import structlog

from ..clock import Clock
from ..services.console import ConnectorStatus
from ..services.operations import LinkSource
from ..services.ports import BindStatus

__all__ = ["LinkSnapshot", "LinkSnapshotWriter"]

log = structlog.get_logger("smsrelay.links")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class LinkSnapshotWriter:
    """The engine's process: a worker writing the snapshot every ``interval`` seconds."""

    def __init__(
        self,
        path: Path,
        links: LinkSource,
        console: Callable[[], Sequence[ConnectorStatus]],
        clock: Clock,
        *,
        interval: float = 1.0,
    ) -> None:
        self.path = path
        self._links = links
        self._console = console
        self._clock = clock
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def write(self) -> None:
        data = {
            "at": self._clock.now().timestamp(),
            "pid": os.getpid(),
            "binds": [asdict(b) for b in self._links.binds()],
            "routed": sorted(self._links.routed()),
            "rates": self._links.rates(),
            "console": [asdict(c) for c in self._console()],
        }
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_bytes(orjson.dumps(data, default=_jsonable))
        os.replace(tmp, self.path)

    async def start(self) -> None:
        self.write()
        self._task = asyncio.create_task(self._run(), name="link-snapshot")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # no stale "bound" for anyone reading after we stopped

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.write()
            except Exception:
                log.exception("link_snapshot_failed")


class LinkSnapshot:
    """An HTTP-only process: the engine process's binds, read from its snapshot (implements
    ``services.operations.LinkSource``; :meth:`console` for the Live page)."""

    def __init__(self, path: Path, clock: Clock, *, stale_after: float = 5.0) -> None:
        self.path = path
        self._clock = clock
        self._stale_after = stale_after
        self._cached: tuple[float, dict[str, Any]] = (-1.0, {})

    def _data(self) -> dict[str, Any]:
        try:
            mtime = self.path.stat().st_mtime
            if mtime != self._cached[0]:
                self._cached = (mtime, orjson.loads(self.path.read_bytes()))
        except (OSError, ValueError):
            return {}
        data = self._cached[1]
        age = self._clock.now().timestamp() - float(data.get("at", 0.0))
        return data if age <= self._stale_after else {}

    def problem(self) -> str | None:
        if not self._data():
            return "the delivery process's status is missing or stale"
        return None

    def binds(self) -> list[BindStatus]:
        out = []
        for b in self._data().get("binds", []):
            since = b.get("bound_since")
            out.append(
                BindStatus(**{**b, "bound_since": datetime.fromisoformat(since) if since else None})
            )
        return out

    def routed(self) -> set[str]:
        return set(self._data().get("routed", []))

    def rates(self) -> dict[str, tuple[float, float]]:
        return {k: (float(v[0]), float(v[1])) for k, v in self._data().get("rates", {}).items()}

    def console(self) -> list[ConnectorStatus]:
        out = []
        for c in self._data().get("console", []):
            since = c.get("since")
            out.append(
                ConnectorStatus(**{**c, "since": datetime.fromisoformat(since) if since else None})
            )
        return out
