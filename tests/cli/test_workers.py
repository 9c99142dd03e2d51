"""``smsrelay serve --workers N`` (docs/scaling.md, "One machine, several processes"): real
processes on one port, on SQLite and PostgreSQL. Processes are polled with a deadline (they
are other processes: no event to await)."""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import httpx

from smsrelay.config import demo_account_path

from .serving import serving, spawn, stop, wait_ready

PORTS = ["--port", "0", "--simulator-port", "0", "--smpp-server-port", "0"]
WITHIN = 60.0  # seconds: the bound of every wait below


def children_of(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(what: str, check: object) -> None:
    deadline = time.monotonic() + WITHIN
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WITHIN} s: {what}")
        time.sleep(0.05)  # other processes: poll with a deadline


def token_of(database_url: str, data_dir: Path) -> str:
    text = demo_account_path(database_url, str(data_dir)).read_text()
    return re.search(r"token:\s+(\S+)", text).group(1)  # type: ignore[union-attr]


def send_one(url: str, token: str, phone: str) -> tuple[int, int]:
    """On one fresh connection: which process answers it, and the id_sms it accepted."""
    with httpx.Client(base_url=url, timeout=30) as http:
        pid = http.get("/status.json").json()["process"]["pid"]
        body = {
            "token": token,
            "message": [
                {"type_send_1": "sms", "sender": "Shop", "text": "hi", "phones": [{"phone": phone}]}
            ],
        }
        info = http.post("/json", json=body).json()["information"]
        assert "send" == info[0]["state"], info
        return pid, int(info[0]["id_sms"])


def accepted_total(metrics: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("smsrelay_messages_accepted_total{")
    )


def test_two_processes_one_port_deliver_and_stop_cleanly(tmp_path: Path, database_url: str) -> None:
    """Both processes answer on the one port; what either accepts is delivered through the
    simulator of worker 0; /metrics of either counts both; SIGTERM stops all, exit 0."""
    env = {"SMSRELAY_DATABASE_URL": database_url, "SMSRELAY_DATA_DIR": str(tmp_path / "var")}
    running = wait_ready(spawn([*PORTS, "--workers", "2", "--demo"], tmp_path, **env))
    try:
        parent = running.proc.pid
        children = children_of(parent)
        assert 1 == len(children), children
        token = token_of(database_url, tmp_path / "var")
        by_pid: Counter[int] = Counter()
        ids = []
        for i in range(400):  # each on a new connection: the kernel picks the process
            pid, id_sms = send_one(running.url, token, f"7900123{i:04d}")
            by_pid[pid] += 1
            ids.append(id_sms)
            if len(by_pid) == 2 and min(by_pid.values()) >= 3:
                break
        assert {parent, *children} == set(by_pid), by_pid

        def all_delivered() -> bool:
            with httpx.Client(base_url=running.url, timeout=30) as http:
                states = [
                    http.post("/json/state.php", json={"token": token, "id_sms": i}).json()
                    for i in ids
                ]
            return all(s[0].get("state") == "deliver" for s in states)

        wait_for("every message delivered", all_delivered)
        seen = set()
        for _ in range(200):  # /metrics from both processes: the same totals
            with httpx.Client(base_url=running.url, timeout=30) as http:
                pid = http.get("/status.json").json()["process"]["pid"]
                total = accepted_total(http.get("/metrics").text)
            assert len(ids) == total, (pid, total)
            seen.add(pid)
            if len(seen) == 2:
                break
        assert 2 == len(seen)
        ready = httpx.get(f"{running.url}/ready", timeout=30)
        assert 200 == ready.status_code, ready.text
    finally:
        code = stop(running)
    assert 0 == code, running.output
    assert not any(alive(c) for c in children)
    assert "Traceback" not in running.output
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"smsrelay-run-*{parent}*"))


def test_sigkill_of_the_parent_ends_the_children(tmp_path: Path) -> None:
    running = wait_ready(spawn([*PORTS, "--workers", "3"], tmp_path))
    children = children_of(running.proc.pid)
    assert 2 == len(children)
    running.proc.send_signal(signal.SIGKILL)
    running.proc.wait(timeout=WITHIN)
    wait_for("no child left", lambda: not any(alive(c) for c in children))
    stop(running)


def test_a_crashed_child_is_restarted(tmp_path: Path) -> None:
    with serving([*PORTS, "--workers", "2"], tmp_path) as running:
        parent = running.proc.pid
        (child,) = children_of(parent)
        os.kill(child, signal.SIGKILL)
        wait_for("a new child", lambda: children_of(parent) - {child})
        (again,) = children_of(parent) - {child}

        def answered_by_new_child() -> bool:
            with httpx.Client(base_url=running.url, timeout=30) as http:
                return http.get("/status.json").json()["process"]["pid"] == again

        wait_for("the new child serves", answered_by_new_child)
    assert 1 == running.output.count("worker_exited"), running.output
    assert 0 == running.proc.returncode


def test_workers_1_is_one_process(tmp_path: Path) -> None:
    with serving([*PORTS, "--workers", "1"], tmp_path) as running:
        assert set() == children_of(running.proc.pid)
        assert "processes" not in running.ready
        assert "worker=" not in running.output
    assert 0 == running.proc.returncode
