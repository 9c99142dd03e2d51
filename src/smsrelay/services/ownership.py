"""Ports for carrier connectors owned by lease (several nodes on one database).

A *node* is one ``smsrelay serve`` process; its id is ``host:pid:random``. Each carrier
connector (all its binds together: carriers limit binds per account, and a connector's binds
share one throughput limit) runs on exactly one node at a time: the node holding the
connector's lease. The lease is taken or renewed by one atomic ``UPDATE ... WHERE owner = me
OR owner = '' OR expires_at <= now`` and released on a clean shutdown, so a restart or a peer
takes over at once; after a crash the lease runs out (``ttl``) and a peer takes it.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

__all__ = ["ConnectorLease", "ConnectorLeaseStore", "LinkReport", "node_id"]


@dataclass(frozen=True, slots=True)
class ConnectorLease:
    """One connector's lease as stored (``owner`` ``""``: free)."""

    connector: str
    owner: str
    expires_at: datetime
    acquired_at: datetime | None = None
    heartbeat_at: datetime | None = None
    bound: int = 0  # binds the owner had up at its last heartbeat
    last_error: str = ""  # the owner's last link failure ("" = none)

    def held(self, now: datetime) -> bool:
        """Owned by some node and not expired at ``now``."""
        return bool(self.owner) and self.expires_at > now


@dataclass(frozen=True, slots=True)
class LinkReport:
    """What the owner tells the others about its binds of one connector."""

    bound: int
    last_error: str = ""


class ConnectorLeaseStore(Protocol):
    async def acquire(
        self,
        names: Sequence[str],
        owner: str,
        now: datetime,
        ttl: timedelta,
        reports: Mapping[str, LinkReport] | None = None,
    ) -> list[ConnectorLease]:
        """Take the free or expired leases of ``names`` and renew those ``owner`` holds (one
        atomic UPDATE), store ``reports`` for the ones it holds, and return every stored
        lease (all connectors, whoever holds them), in one transaction."""
        ...

    async def release(self, names: Sequence[str], owner: str, now: datetime) -> None:
        """Give up the leases ``owner`` holds among ``names`` (free at once for a peer)."""
        ...

    async def leases(self) -> list[ConnectorLease]:
        """Every stored lease, by connector name."""
        ...


def node_id() -> str:
    """This process's node id: ``host:pid:random`` (unique even across container restarts
    that reuse a pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
