"""The customer binds as ``smsrelay status`` shows them (``customer_binds`` in ``/status.json``).

Every live bind of every process sharing the database (the ``smpp_binds`` table, as
``smsrelay smpp binds`` lists it); for the binds this process holds, the outstanding window is
read live from the connection, for the others it is the figure their process last stored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..clock import Clock
from ..services.smpp_outbox import BindRow, BindsStore
from .server import LIVE_WITHIN, SmppServer

__all__ = ["bind_json", "customer_binds"]


async def customer_binds(server: SmppServer | None, store: BindsStore, clock: Clock) -> list[Any]:
    """The JSON-able list of live customer binds (oldest first within an account); ``server``
    None: a process without the SMPP server (every bind is another process's)."""
    rows = await store.live_binds(clock.now() - timedelta(seconds=LIVE_WITHIN))
    here = {
        conn.binding.bind_id: len(conn.inflight)
        for conn in (server.connections if server is not None else ())
        if conn.binding is not None
    }
    out: list[Any] = []
    for row in rows:
        if row.bind_id in here:
            assert server is not None
            out.append(bind_json(row, here[row.bind_id], server.settings.window, local=True))
        else:
            local = server is not None and row.node == server.node
            out.append(bind_json(row, row.outstanding, None, local=local))
    return out


def bind_json(
    row: BindRow, outstanding: int, window: int | None, *, local: bool = False
) -> dict[str, Any]:
    """One bind: ``window`` is known only for this process's binds (None for the others)."""
    return {
        "account": row.login,
        "address": row.address,
        "bind_type": row.bind_type,
        "since": row.since.isoformat(timespec="seconds"),
        "outstanding": outstanding,
        "window": window,
        "submit_rate": round(row.submit_rate, 2),
        "receipt_rate": round(row.receipt_rate, 2),
        "node": row.node,
        "this_process": local,
    }
