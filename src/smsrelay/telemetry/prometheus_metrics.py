"""The :class:`~smsrelay.services.ports.Metrics` port on prometheus-client.

One process: each :class:`PrometheusMetrics` has its own registry (several runtimes in one
test process never mix). Several processes (``serve`` with more than one process): every
process is given the same per-run directory (:func:`prepare_run_dir`, the setting
``metrics_dir``), prometheus-client's multiprocess mode keeps each process's values in
memory-mapped files there, and ``/metrics``, answered by any process, adds them up
(:class:`prometheus_client.multiprocess.MultiProcessCollector`). Gauges of live state use
``livesum``/``livemax`` so a dead process's binds drop out (:func:`mark_process_dead`).

Gauges that are facts of the database (queue depth by state, webhook backlog, receipts
overdue) are not kept by any process: they are read at scrape time (:class:`DbGauges`) and
rendered with the rest, so every process answers the same numbers.

Hot path: label children are cached in plain dicts (one lookup, no label validation), and
the per-message calls are one ``inc`` or ``observe`` each.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.multiprocess import mark_process_dead as _mark_dead

from ..services.ports import BindStatus, StatusChange

__all__ = [
    "CONTENT_TYPE",
    "DbGauges",
    "PrometheusMetrics",
    "mark_process_dead",
    "prepare_run_dir",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series (noise)
_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own switch, read by the library
# seconds: acceptance -> submit_sm is milliseconds when healthy, seconds when queued;
# submit -> receipt is seconds to hours (a phone off until it comes back)
_SUBMIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
_RECEIPT_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600, 4 * 3600, 24 * 3600)


def prepare_run_dir(base: str | Path) -> Path:
    """A fresh, empty directory for one run's multiprocess files (``<base>/run-<pid>-<t>``).

    The process that starts the others calls this once and gives the path to each of them
    (the setting ``metrics_dir``); files of an earlier run are never read again."""
    run = Path(base) / f"run-{os.getpid()}-{time.time_ns()}"
    run.mkdir(parents=True, exist_ok=False)
    return run


def mark_process_dead(pid: int, directory: str | Path) -> None:
    """A process of the run ended: its live gauges (binds, windows) stop counting."""
    _mark_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def _use_directory(directory: str) -> None:
    """Switch prometheus-client to multiprocess values in ``directory`` (before any metric
    of this run is created). The library reads the path from its environment variable."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    os.environ[_ENV] = directory
    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class DbGauges:
    """Database facts read at scrape time."""

    queue: Mapping[str, int] = field(default_factory=dict)  # pending messages by status
    webhook_backlog: int = 0  # status notifications not yet delivered
    receipts_overdue: int = 0  # submitted, a part without receipt past the query time


class PrometheusMetrics:
    """The metrics of one process (see the module docstring for several processes)."""

    def __init__(self, multiprocess_dir: str = "") -> None:
        self.multiprocess_dir = multiprocess_dir
        if multiprocess_dir:
            _use_directory(multiprocess_dir)
        self._registry = CollectorRegistry(auto_describe=False)
        r = self._registry
        self._accepted = Counter(
            "smsrelay_messages_accepted",
            "Messages accepted (stored and charged), by channel and entry point.",
            ("channel", "entry"),
            registry=r,
        )
        self._final = Counter(
            "smsrelay_messages_final",
            "Messages that reached a final status, by status.",
            ("status",),
            registry=r,
        )
        self._parts = Counter(
            "smsrelay_parts_submitted",
            "Parts given to a carrier connector, by connector and result "
            "(accepted, rejected, retry).",
            ("connector", "result"),
            registry=r,
        )
        self._receipts = Counter(
            "smsrelay_receipts",
            "Delivery receipts received, by connector and the part state they report.",
            ("connector", "stat"),
            registry=r,
        )
        self._http = Counter(
            "smsrelay_http_requests",
            "HTTP requests, by dialect (json, xml, get, viber, ops, other) and outcome "
            "(ok, refused, error).",
            ("dialect", "outcome"),
            registry=r,
        )
        self._queries = Counter(
            "smsrelay_receipt_queries",
            "query_sm sent for parts whose receipt is overdue, by connector and result "
            "(final, pending, failed).",
            ("connector", "result"),
            registry=r,
        )
        self._submit_delay = Histogram(
            "smsrelay_accept_to_submit_seconds",
            "Seconds from acceptance (or the scheduled time) to the first submit_sm.",
            registry=r,
            buckets=_SUBMIT_BUCKETS,
        )
        self._receipt_delay = Histogram(
            "smsrelay_submit_to_receipt_seconds",
            "Seconds from a part's submit_sm to its delivery receipt.",
            registry=r,
            buckets=_RECEIPT_BUCKETS,
        )
        self._bound = Gauge(
            "smsrelay_connector_bound",
            "1 when the bind is bound, else 0.",
            ("connector", "bind"),
            registry=r,
            multiprocess_mode="livemax",
        )
        self._window = Gauge(
            "smsrelay_connector_window_in_use",
            "submit_sm awaiting their response, all binds of the connector.",
            ("connector",),
            registry=r,
            multiprocess_mode="livesum",
        )
        self._children: dict[tuple[Any, ...], Any] = {}
        self._links_seen: set[tuple[str, str]] = set()
        self._windows_seen: set[str] = set()
        self._events = {"http": self._http, "receipt_query": self._queries}

    def _child(self, metric: Any, labels: tuple[str, ...]) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    # --- the Metrics port ----------------------------------------------------------------

    def accepted(self, channel: str, entry: str, n: int) -> None:
        if n:
            self._child(self._accepted, (channel, entry)).inc(n)

    def finals(self, changes: Sequence[StatusChange]) -> None:
        counts: dict[str, int] = {}
        for c in changes:
            if c.status.is_final:
                counts[c.status.value] = counts.get(c.status.value, 0) + 1
        for status, n in counts.items():
            self._child(self._final, (status,)).inc(n)

    def submitted(self, connector: str, result: str, parts: int, delay: float | None) -> None:
        if parts:
            self._child(self._parts, (connector, result)).inc(parts)
        if delay is not None:
            self._submit_delay.observe(max(0.0, delay))

    def receipt(self, connector: str, stat: str, after: float | None) -> None:
        self._child(self._receipts, (connector, stat)).inc()
        if after is not None:
            self._receipt_delay.observe(max(0.0, after))

    def links(self, binds: Sequence[BindStatus]) -> None:
        seen: set[tuple[str, str]] = set()
        windows: dict[str, int] = {}
        for b in binds:
            key = (b.connector, str(b.bind))
            seen.add(key)
            self._child(self._bound, key).set(1 if b.bound else 0)
            windows[b.connector] = windows.get(b.connector, 0) + b.window_in_use
        for name, used in windows.items():
            self._child(self._window, (name,)).set(used)
        for key in self._links_seen - seen:  # a connector removed: its binds are gone
            self._bound.remove(*key)
            self._children.pop((id(self._bound), *key), None)
        for name in self._windows_seen - set(windows):
            self._window.remove(name)
            self._children.pop((id(self._window), name), None)
        self._links_seen, self._windows_seen = seen, set(windows)

    def event(self, name: str, labels: tuple[str, ...] = (), n: int = 1) -> None:
        metric = self._events.get(name)
        if metric is not None:
            self._child(metric, labels).inc(n)

    # --- exposition ----------------------------------------------------------------------

    def render(self, db: DbGauges | None = None) -> bytes:
        """The text exposition: this process's metrics (every process's in multiprocess
        mode) and the database gauges."""
        if self.multiprocess_dir:
            registry = CollectorRegistry(auto_describe=False)
            MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            text = generate_latest(registry)
        else:
            text = generate_latest(self._registry)
        if db is None:
            return text
        return text + generate_latest(_StaticCollector(_db_families(db)))


def _db_families(db: DbGauges) -> list[GaugeMetricFamily]:
    queue = GaugeMetricFamily(
        "smsrelay_queue_messages",
        "Messages not final yet, by status (read from the database at scrape time).",
        labels=("state",),
    )
    for state, n in sorted(db.queue.items()):
        queue.add_metric((state,), n)
    backlog = GaugeMetricFamily(
        "smsrelay_webhook_backlog",
        "Status notifications waiting to be delivered to customers' webhooks.",
        value=db.webhook_backlog,
    )
    overdue = GaugeMetricFamily(
        "smsrelay_receipts_overdue",
        "Submitted messages with a part still without receipt past receipt_query_after.",
        value=db.receipts_overdue,
    )
    return [queue, backlog, overdue]


class _StaticCollector:
    """A registry-like object ``generate_latest`` can render: fixed metric families."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self._families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self._families
