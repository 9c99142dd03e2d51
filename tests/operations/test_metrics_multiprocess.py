"""/metrics is right with several processes: each process counts into the run's directory
and any one of them renders the sum (prometheus-client multiprocess mode). Real processes:
the mode is per process, so the test process itself never switches."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from smsrelay.telemetry import prepare_run_dir

_COUNT = """
import sys
from smsrelay.services.ports import BindStatus
from smsrelay.telemetry import PrometheusMetrics
m = PrometheusMetrics(sys.argv[1])
m.accepted("sms", "json", 3)
m.submitted("simulator", "accepted", 2, 0.01)
m.links([BindStatus("simulator", int(sys.argv[2]), "bound", None, 1, 10, 0, 0)])
print(__import__("os").getpid())
"""

_RENDER = """
import sys
from smsrelay.telemetry import DbGauges, PrometheusMetrics, mark_process_dead
for pid in sys.argv[2:]:
    mark_process_dead(int(pid), sys.argv[1])
sys.stdout.write(PrometheusMetrics(sys.argv[1]).render(DbGauges({"queued": 4}, 5, 0)).decode())
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_counters_add_up_over_processes_and_dead_binds_drop_out(tmp_path: Path) -> None:
    """Two processes count; a third renders their sums, the database gauges once, and the
    binds of processes marked dead no longer count."""
    run_dir = prepare_run_dir(tmp_path / "metrics")
    assert [] == list(run_dir.iterdir())
    pids = [_run(_COUNT, str(run_dir), str(i)).strip() for i in (0, 1)]

    text = _run(_RENDER, str(run_dir))
    assert 'smsrelay_messages_accepted_total{channel="sms",entry="json"} 6.0' in text
    assert 'smsrelay_parts_submitted_total{connector="simulator",result="accepted"} 4.0' in text
    assert "smsrelay_accept_to_submit_seconds_count 2.0" in text
    assert 'smsrelay_connector_bound{bind="1",connector="simulator"} 1.0' in text
    assert 'smsrelay_connector_window_in_use{connector="simulator"} 2.0' in text
    assert 'smsrelay_queue_messages{state="queued"} 4.0' in text
    assert 1 == text.count("smsrelay_webhook_backlog 5.0")

    text = _run(_RENDER, str(run_dir), *pids)
    assert "smsrelay_connector_bound{" not in text
    assert 'smsrelay_messages_accepted_total{channel="sms",entry="json"} 6.0' in text


def test_each_run_gets_a_fresh_directory(tmp_path: Path) -> None:
    """Files of an earlier run are never summed into a new one."""
    assert prepare_run_dir(tmp_path) != prepare_run_dir(tmp_path)
