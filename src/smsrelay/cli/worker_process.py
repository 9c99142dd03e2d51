"""An HTTP-only process of ``smsrelay serve --workers N`` (started by :mod:`.workers`, never by
hand): ``python -m smsrelay.cli.worker_process PARENT_PID NUMBER RUN_DIR SOCKET_FD``.

It dies with its parent (``PR_SET_PDEATHSIG``: SIGTERM when the parent ends, even by
SIGKILL), imports everything, then reads its settings (JSON) from stdin: EOF means the parent
gave up, and it exits. It serves the API and the web pages on the inherited socket, with no
engine, simulator, customer SMPP server or once-per-machine loop (bootstrap's ``Cluster``),
says "ready" on the run directory's wake socket, and on SIGTERM or SIGINT stops like
``serve``: in-flight requests finish (bounded), then the runtime drains.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """SIGTERM to this process when its parent ends (Linux); gone already: exit now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's stop is the only way
        pass
    if os.getppid() != parent:  # it ended before prctl took effect
        sys.exit(0)


def main(argv: list[str]) -> int:
    parent, number, run_dir, fd = int(argv[0]), int(argv[1]), argv[2], int(argv[3])
    _die_with_parent(parent)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # until the server's handlers
    from pathlib import Path

    from ..bootstrap import Cluster
    from .main import _event_loop_run
    from .serve import preload, serve_worker
    from .workers import child_settings

    preload()  # everything heavy is imported before the settings come

    data = sys.stdin.buffer.read()
    if not data:  # the parent stopped before it released us
        return 0
    settings = child_settings(data)
    _event_loop_run(serve_worker(settings, Cluster(Path(run_dir), number), fd))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
