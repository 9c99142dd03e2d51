"""smsrelay benchmark: runs the real platform (``smsrelay serve``) in its own process and drives
it over HTTP from this one, printing each figure next to its target (issue: the spine).

    make bench                 # all scenarios, SQLite
    python benchmarks/run.py --scenario e2e --messages 5000
    python benchmarks/run.py --scenario e2e,kannel --messages 5000 --rounds 3   # peer benchmark
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import build_post, run_closed_loop

PENDING = ("scheduled", "queued", "submitting", "submitted")


@dataclass
class Server:
    proc: subprocess.Popen[str]
    host: str
    port: int
    db_path: Path
    smpp_port: int = 0  # the customer SMPP server's port (issue 11)

    def pids(self) -> list[int]:
        """The serve process and its HTTP-only children (``--workers``)."""
        return [self.proc.pid, *children_of(self.proc.pid)]

    def peak_rss_mb(self) -> float:
        """The largest peak RSS of one serve process (each process has its own memory)."""
        peaks = [float("nan")]
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks[1:], default=peaks[0])

    def cpu_seconds(self) -> float:
        """User + system CPU of every serve process so far (robust to a busy machine); a
        child restarted meanwhile would be missed: none is, in a healthy run."""
        return sum(process_cpu_seconds(pid) for pid in self.pids())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def smsrelay(workdir: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "smsrelay", *args],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def prepare_bench(workdir: Path, env: dict[str, str], price: str = "0.01") -> None:
    """Migrate, create the ``bench`` account (token ``bench-token``) and the price of ``7``."""
    smsrelay(workdir, "migrate", env=env)
    smsrelay(
        workdir,
        "account",
        "create",
        "bench",
        "--password",
        "bench",
        "--token",
        "bench-token",
        "--balance",
        "100000000",
        "--any-sender",
        env=env,
    )
    smsrelay(workdir, "price", "set", "7", price, "--area", "Russia", env=env)


def serve_ready(
    workdir: Path, env: dict[str, str], *args: str, prefix: Sequence[str] = ()
) -> tuple[subprocess.Popen[str], str]:
    """``smsrelay serve --port 0 --smpp-server-port 0 ARGS``, once it prints its ready line
    (returned with the process)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            *prefix,
            "-m",
            "smsrelay",
            "serve",
            "--port",
            "0",
            "--smpp-server-port",
            "0",
            *args,
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "smsrelay is ready" in line:
            return proc, line
    raise RuntimeError(f"smsrelay serve {' '.join(args)} did not start")


def ready_address(line: str) -> tuple[str, int]:
    """The API's host and port from the ready line."""
    host, port = line.split("API on http://")[1].split()[0].rsplit(":", 1)
    return host, int(port)


def carrier_args(smpp_port: int) -> tuple[str, ...]:
    """``serve`` options for delivering to an SMSC simulator of the benchmark's own."""
    return (
        "--no-simulator",
        "--smpp-host",
        "127.0.0.1",
        "--smpp-port",
        str(smpp_port),
        "--smpp-system-id",
        "smsrelay",
        "--smpp-password",
        "smsrelay",
    )


def start_simulator(workdir: Path, receipt_delay: str) -> tuple[subprocess.Popen[str], int]:
    """The carrier in its own process, as a real carrier would be."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smsrelay",
            "simulator",
            "--port",
            "0",
            "--receipt-delay",
            receipt_delay,
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on" in line:
            return proc, int(line.rsplit(":", 1)[1])
    raise RuntimeError("simulator did not start")


def start_server(
    workdir: Path, *extra: str, price: str = "0.01", webhook: str | None = None
) -> Server:
    db = workdir / "var" / "bench.db"
    env = {
        **os.environ,
        "SMSRELAY_DATABASE_URL": f"sqlite:///{db}",
        "SMSRELAY_LOG_LEVEL": "warning",
    }
    if webhook:  # the sink listens on loopback, which the default webhook policy refuses
        env["SMSRELAY_WEBHOOK_ALLOW_PRIVATE"] = "1"
    prepare_bench(workdir, env, price)
    if webhook:  # the account's status webhook (the peer benchmark's sink)
        smsrelay(workdir, "webhook", "set", "bench", webhook, env=env)
    profile = os.environ.get("SMSRELAY_BENCH_PROFILE")  # a path: run the server under cProfile
    prefix = ["-m", "cProfile", "-o", profile] if profile else []
    proc, line = serve_ready(workdir, env, "--simulator-port", "0", *extra, prefix=prefix)
    host, port = ready_address(line)
    spy = os.environ.get("SMSRELAY_BENCH_PYSPY")  # path: sample the server (py-spy)
    if spy:
        seconds = os.environ.get("SMSRELAY_BENCH_PYSPY_SECONDS", "10")
        subprocess.Popen(
            [
                "py-spy",
                "record",
                "-r",
                "250",
                "-f",
                "raw",
                "-o",
                spy,
                "-d",
                seconds,
                "--pid",
                str(proc.pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    smpp_port = 0
    if "customer SMPP server on " in line:
        where = line.split("customer SMPP server on ")[1].split(",")[0]
        smpp_port = int(where.rsplit(":", 1)[1])
    return Server(proc, host, port, db, smpp_port)


def pending_count(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        marks = ",".join("?" * len(PENDING))
        return con.execute(
            f"SELECT count(*) FROM messages WHERE status IN ({marks})", PENDING
        ).fetchone()[0]
    finally:
        con.close()


def safe_phone(i: int, prefix: str = "79") -> str:
    """A distinct number whose last four digits are never one of the simulator's magic
    ``…900x`` outcomes (it ends in ``00``)."""
    return f"{prefix}{i:07d}00"


def body_one(i: int) -> bytes:
    return (
        b'{"token":"bench-token","message":[{"type_send_1":"sms","sender":"Bench","text":"Code '
        + str(i).encode()
        + b'","phones":[{"phone":"'
        + safe_phone(i).encode()
        + b'"}]}]}'
    )


def body_bulk(i: int, n: int) -> bytes:
    phones = b",".join(b'{"phone":"' + safe_phone(i * n + k).encode() + b'"}' for k in range(n))
    return (
        b'{"token":"bench-token","message":[{"type_send_1":"sms","sender":"Bench",'
        b'"text":"Hello bulk",'
        b'"phones":[' + phones + b"]}]}"
    )


def report(name: str, value: float, unit: str, target: str, ok: bool) -> dict[str, object]:
    mark = "OK  " if ok else "MISS"
    print(f"  [{mark}] {name:<48} {value:>10.1f} {unit:<6} target {target}", flush=True)
    return {"name": name, "value": value, "unit": unit, "target": target, "ok": ok}


async def scenario_e2e(workdir: Path, messages: int, concurrency: int) -> list[dict[str, object]]:
    sim, sim_port = start_simulator(workdir, "0.1")
    server = start_server(
        workdir, "--no-simulator", "--smpp-host", "127.0.0.1", "--smpp-port", str(sim_port)
    )
    try:
        errors = 0

        def on_response(i: int, status: int, body: bytes, t: float) -> None:
            nonlocal errors
            if status != 200 or b'"send"' not in body:
                errors += 1

        t0 = time.perf_counter()
        cpu0, own0 = server.cpu_seconds(), time.process_time()
        sim_cpu0 = process_cpu_seconds(sim.pid)
        elapsed_http = await run_closed_loop(
            server.host,
            server.port,
            concurrency,
            messages,
            lambda i: build_post(server.host, server.port, "/json", body_one(i)),
            on_response,
        )
        while pending_count(server.db_path) > 0:  # noqa: ASYNC110 - polls the server's database
            await asyncio.sleep(0.05)
        total = time.perf_counter() - t0
        cpu = server.cpu_seconds() - cpu0
        own = time.process_time() - own0
        sim_cpu = process_cpu_seconds(sim.pid) - sim_cpu0
        rss = server.peak_rss_mb()
    finally:
        server.stop()
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=30)
    print(
        f"  e2e: {messages} messages, {concurrency} clients, {errors} errors; "
        f"HTTP phase {elapsed_http:.2f}s ({messages / elapsed_http:.0f} req/s), "
        f"all final after {total:.2f}s"
    )
    print(
        f"  e2e CPU: platform {cpu * 1e6 / messages:.0f} us/msg ({cpu / total:.2f} cores), "
        f"simulator {sim_cpu * 1e6 / messages:.0f} us/msg, "
        f"load generator {own * 1e6 / messages:.0f} us/msg"
    )
    return [
        report(
            "end to end, 1 msg/request, until all final",
            messages / total,
            "msg/s",
            ">= 3500",
            messages / total >= 3500,
        ),
        report("peak RSS of the platform (e2e run)", rss, "MB", "<= 200", rss <= 200),
    ]


async def scenario_ingest(
    workdir: Path, requests: int, per_request: int
) -> list[dict[str, object]]:
    server = start_server(workdir, "--no-engine", "--no-simulator")
    try:
        bad = 0

        def on_response(i: int, status: int, body: bytes, t: float) -> None:
            nonlocal bad
            if status != 200 or body.count(b'"send"') != per_request:
                bad += 1

        cpu0 = server.cpu_seconds()
        elapsed = await run_closed_loop(
            server.host,
            server.port,
            4,
            requests,
            lambda i: build_post(server.host, server.port, "/json", body_bulk(i, per_request)),
            on_response,
        )
        cpu = server.cpu_seconds() - cpu0
        stored = pending_count(server.db_path)
    finally:
        server.stop()
    n = requests * per_request
    print(
        f"  ingest: {requests} requests x {per_request} phones in {elapsed:.2f}s, "
        f"{bad} bad answers, "
        f"{stored} rows stored; platform CPU {cpu * 1e6 / n:.1f} us/msg ({cpu / elapsed:.2f} cores)"
    )
    return [
        report(
            f"bulk ingest, {per_request} phones/request (API only)",
            n / elapsed,
            "msg/s",
            ">= 50000",
            n / elapsed >= 50000,
        )
    ]


async def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--scenario",
        type=lambda text: text.split(","),
        default=["all"],
        help="all, or some of e2e, ingest, latency, parts3, binds2, sigkill, smpp, kannel, "
        "nodes (PostgreSQL; never part of all) "
        "(comma-separated: e2e,kannel runs both in one run)",
    )
    ap.add_argument(
        "--crash-messages", type=int, default=50_000, help="messages of the sigkill scenario"
    )
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument(
        "--workers",
        type=int,
        default=None,
        help="serve processes (SMSRELAY_WORKERS; default: one per core)",
    )
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--bulk-requests", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each, kannel scenario")
    args = ap.parse_args()
    if args.workers is not None:  # every serve this run starts (start_server copies os.environ)
        os.environ["SMSRELAY_WORKERS"] = str(args.workers)
    known = {"all", "e2e", "ingest", "latency", "parts3", "binds2", "sigkill", "kannel", "nodes"}
    if not set(args.scenario) <= known:
        ap.error(f"unknown scenario: {', '.join(sorted(set(args.scenario) - known))}")

    def want(name: str) -> bool:
        return "all" in args.scenario or name in args.scenario

    results: list[dict[str, object]] = []
    print("smsrelay benchmark (SQLite, built-in simulator, load generator on the same machine)")
    with tempfile.TemporaryDirectory(prefix="smsrelay-bench-") as tmp:
        base = Path(tmp)
        if want("e2e"):
            (base / "e2e").mkdir()
            results += await scenario_e2e(base / "e2e", args.messages, args.concurrency)
        if want("ingest"):
            (base / "ingest").mkdir()
            results += await scenario_ingest(base / "ingest", args.bulk_requests, 1000)
        if want("latency"):
            from latency import scenario_latency

            (base / "latency").mkdir()
            results += await scenario_latency(base / "latency", report)
        if any(map(want, ("parts3", "binds2", "sigkill"))):
            import resilience  # the fault issue: 3 parts, 2 binds, SIGKILL mid-run

            for name in ("parts3", "binds2", "sigkill"):
                if want(name):
                    (base / name).mkdir()
            if want("parts3"):
                results += await resilience.scenario_parts3(
                    base / "parts3", args.messages // 2, args.concurrency, report
                )
            if want("binds2"):
                results += await resilience.scenario_binds2(
                    base / "binds2", args.messages, args.concurrency, report
                )
            if want("sigkill"):
                results += await resilience.scenario_sigkill(
                    base / "sigkill", args.crash_messages, report
                )
        if want("kannel"):
            from peer_kannel import scenario_kannel  # the peer benchmark: Kannel, same run

            (base / "kannel").mkdir()
            results += await scenario_kannel(
                base / "kannel", args.messages, args.concurrency, args.rounds, report
            )
        if "nodes" in args.scenario:  # PostgreSQL: only when asked for by name
            from nodes import scenario_nodes  # issue 10: 1, 2, 4 nodes on one database

            (base / "nodes").mkdir()
            results += await scenario_nodes(
                base / "nodes", args.messages, args.concurrency, report, sys.modules[__name__]
            )
        if want("smpp"):
            import smpp_customers  # issue 11: customers over SMPP, 1 and 4 binds

            (base / "smpp").mkdir()
            results += await smpp_customers.scenario_smpp(
                base / "smpp", args.messages, report, sys.modules[__name__]
            )
    missed = [r["name"] for r in results if not r["ok"]]
    print(
        f"{len(results) - len(missed)} of {len(results)} targets met"
        + (f"; missed: {', '.join(map(str, missed))}" if missed else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
