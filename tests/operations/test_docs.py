"""docs/operations.md documents exactly the metrics /metrics exports, and the sample Grafana
dashboard and alert rules use only those."""

from __future__ import annotations

import json
import re
from pathlib import Path

from smsrelay.telemetry import DbGauges, PrometheusMetrics

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _exported() -> set[str]:
    text = PrometheusMetrics().render(DbGauges()).decode()
    return {_family(n) for n in re.findall(r"^# TYPE (\w+) \w+$", text, re.M)}


def _family(name: str) -> str:
    return re.sub(r"_(total|bucket|count|sum|created)$", "", name)


def test_every_metric_is_documented_and_every_documented_metric_exists() -> None:
    """The metrics table lists each exported family, under its exposed name."""
    doc = (DOCS / "operations.md").read_text()
    documented = {_family(n) for n in re.findall(r"^\| `(smsrelay_\w+)` \|", doc, re.M)}
    assert _exported() == documented


def test_dashboard_and_alerts_use_exported_metrics() -> None:
    """Every smsrelay_* series in the dashboard and the alert rules exists."""
    families = _exported()
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    rules = (DOCS / "operations.md").read_text().split("```yaml", 1)[1].split("```", 1)[0]
    used = {_family(n) for text in [*exprs, rules] for n in re.findall(r"smsrelay_\w+", text)}
    assert used and used <= families
