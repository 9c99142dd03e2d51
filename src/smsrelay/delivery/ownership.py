"""This node's carrier connectors, owned by lease (several nodes on one database).

Each connector (all its binds together) runs on exactly one node: the holder of its row in
``connector_leases``. Every ``ttl / 4`` the node takes the free or expired leases of the
connectors configured and renews its own, in one transaction that also reports its binds
(``bound``, ``last_error``) and reads every lease: that snapshot says which connectors run on
other nodes (for the claim filter: a node never claims messages whose route reaches a
connector held by another node before one bound here).

A node that cannot renew (database unreachable) stops a connector's binds one interval before
its lease can run out, so a peer that takes the lease never binds beside it. On a clean
shutdown the binds stop first, then the leases are released: a peer (or the restarted node)
takes over at its next beat, not after a TTL. Node clocks must agree within a fraction of the
TTL (NTP), as the message leases already require.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import structlog

from ..clock import Clock
from ..services.ownership import ConnectorLease, ConnectorLeaseStore, LinkReport

__all__ = ["ConnectorOwnership"]

log = structlog.get_logger("smsrelay.ownership")

DEFAULT_TTL = timedelta(seconds=10)


class ConnectorOwnership:
    """Which connectors this node holds, and the last view of everyone's leases."""

    def __init__(
        self,
        store: ConnectorLeaseStore,
        clock: Clock,
        node: str,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self.node = node
        self.ttl = ttl
        self._store = store
        self._clock = clock
        self._wanted: frozenset[str] = frozenset()
        self._owned: set[str] = set()
        self._until: dict[str, datetime] = {}  # our own view of when each held lease ends
        self._view: dict[str, ConnectorLease] = {}
        self.beats = 0  # successful syncs

    @property
    def interval(self) -> float:
        """Seconds between two beats: a quarter of the TTL (three beats may fail in a row)."""
        return max(self.ttl.total_seconds() / 4, 0.01)

    @property
    def owned(self) -> frozenset[str]:
        return frozenset(self._owned)

    def holds(self, name: str) -> bool:
        return name in self._owned

    def owns_all(self) -> bool:
        """Every configured connector is held here (one node: no claim filter needed)."""
        return self._wanted <= self._owned

    def elsewhere(self, name: str) -> bool:
        """``name`` is held by another live node (its messages are that node's to claim)."""
        lease = self._view.get(name)
        return lease is not None and lease.owner != self.node and lease.held(self._clock.now())

    def bound_elsewhere(self, name: str) -> bool:
        """``name`` is held by another live node that had a bind up at its last beat."""
        lease = self._view.get(name)
        return self.elsewhere(name) and lease is not None and lease.bound > 0

    def leases(self) -> list[ConnectorLease]:
        """The last view of every lease (for status)."""
        return list(self._view.values())

    async def sync(
        self, names: Iterable[str], reports: Mapping[str, LinkReport] | None = None
    ) -> tuple[set[str], set[str]]:
        """One beat: take or renew ``names``; returns (gained, lost). Connectors held but no
        longer in ``names`` are in neither: the caller stops them, then :meth:`release`."""
        wanted = frozenset(names)
        self._wanted = wanted
        now = self._clock.now()
        try:
            leases = await self._store.acquire(sorted(wanted), self.node, now, self.ttl, reports)
        except Exception:
            # not renewed: stop before a peer may take the lease (one beat of margin)
            margin = timedelta(seconds=self.interval)
            lost = {n for n in self._owned if now >= self._until[n] - margin}
            log.exception("connector_leases_failed", held=sorted(self._owned), lost=sorted(lost))
            self._owned -= lost
            return set(), lost
        self.beats += 1
        self._view = {lease.connector: lease for lease in leases}
        mine = {lease.connector for lease in leases if lease.owner == self.node}
        held_here = mine & wanted
        gained, lost = held_here - self._owned, (self._owned & wanted) - held_here
        for name in mine:
            self._until[name] = now + self.ttl
        self._owned = (self._owned - lost) | held_here
        for name in gained:
            log.info("connector_acquired", connector=name, node=self.node)
        for name in lost:
            owner = self._view[name].owner if name in self._view else ""
            log.warning("connector_lost", connector=name, node=self.node, owner=owner)
        return gained, lost

    async def release(self, names: Iterable[str]) -> None:
        """Give up ``names`` (their binds have stopped): free for a peer at once."""
        gone = [n for n in names if n in self._owned]
        self._owned.difference_update(gone)
        if gone:
            try:
                await self._store.release(gone, self.node, self._clock.now())
            except Exception:  # the lease runs out by itself
                log.exception("connector_release_failed", connectors=gone)
            else:
                log.info("connector_released", connectors=gone, node=self.node)

    async def release_all(self) -> None:
        await self.release(list(self._owned))
