"""Telemetry: the Prometheus metrics of smsrelay (prometheus-client lives here and only here).

``bootstrap`` builds a :class:`PrometheusMetrics` and hands it, as the
:class:`smsrelay.services.ports.Metrics` port, to the parts that count; ``/metrics`` (served
by ``api/operations.py``) calls :meth:`PrometheusMetrics.render`.
"""

from __future__ import annotations

from .prometheus_metrics import DbGauges, PrometheusMetrics, mark_process_dead, prepare_run_dir

__all__ = ["DbGauges", "PrometheusMetrics", "mark_process_dead", "prepare_run_dir"]
