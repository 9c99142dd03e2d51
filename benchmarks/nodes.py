"""Benchmark scenario ``nodes``: 1, 2 and 4 ``smsrelay serve`` nodes sharing one PostgreSQL
database (a fresh database per round), one external simulator (its own process), the load
generator spread over every node's HTTP port. Prints end-to-end throughput and CPU per
message per node count, then SIGKILLs the node owning the carrier connector and reports how
long until another node held its lease (from the lease timestamps).

The admin URL comes from ``SMSRELAY_BENCH_POSTGRES_URL`` or ``SMSRELAY_TEST_POSTGRES_URL``
(default ``postgresql://postgres@127.0.0.1:5432/postgres``); the user may CREATE DATABASE.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
from loadgen import build_post, run_closed_loop

PENDING = ("scheduled", "queued", "submitting", "submitted")
COUNTS = tuple(int(n) for n in os.environ.get("SMSRELAY_BENCH_NODES", "1,2,4").split(","))


def _admin_url() -> str:
    return os.environ.get(
        "SMSRELAY_BENCH_POSTGRES_URL",
        os.environ.get(
            "SMSRELAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class Node:
    def __init__(self, proc: subprocess.Popen[str], host: str, port: int, node_id: str) -> None:
        self.proc, self.host, self.port, self.id = proc, host, port, node_id

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _start_node(workdir: Path, env: dict[str, str], node_id: str, sim_port: int) -> Node:
    import run

    proc, line = run.serve_ready(
        workdir,
        {**env, "SMSRELAY_NODE_ID": node_id},
        "--no-simulator",
        "--smpp-host",
        "127.0.0.1",
        "--smpp-port",
        str(sim_port),
    )
    host, port = run.ready_address(line)
    return Node(proc, host, port, node_id)


async def _wait(check: Callable[[], Any], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


async def _round(
    workdir: Path, count: int, messages: int, concurrency: int, run: Any, kill: bool
) -> dict[str, float]:
    admin_url = _admin_url()
    name = f"smsrelay_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = _with_database(admin_url, name)
    env = {
        **os.environ,
        "SMSRELAY_DATABASE_URL": url,
        "SMSRELAY_LOG_LEVEL": "warning",
        "SMSRELAY_DATA_DIR": str(workdir / "var"),
        # a node stands for a machine: one process each unless --workers says otherwise
        "SMSRELAY_WORKERS": os.environ.get("SMSRELAY_WORKERS", "1"),
    }
    run.prepare_bench(workdir, env)
    sim, sim_port = run.start_simulator(workdir, "0.1")
    nodes: list[Node] = []
    db = await asyncpg.connect(url)
    out: dict[str, float] = {}
    try:
        for i in range(count):
            nodes.append(_start_node(workdir, env, f"node-{i + 1}", sim_port))

        async def bound() -> bool:
            row = await db.fetchrow("SELECT owner, bound FROM connector_leases")
            return row is not None and bool(row["owner"]) and row["bound"] > 0

        await _wait(bound, 60, "the connector bound on one node")
        errors = 0

        def on_response(i: int, status: int, body: bytes, t: float) -> None:
            nonlocal errors
            if status != 200 or b'"send"' not in body:
                errors += 1

        share = messages // count
        cpu0 = [run.process_cpu_seconds(n.proc.pid) for n in nodes]
        sim_cpu0 = run.process_cpu_seconds(sim.pid)
        t0 = time.perf_counter()
        await asyncio.gather(
            *(
                run_closed_loop(
                    n.host,
                    n.port,
                    max(1, concurrency // count),
                    share,
                    lambda i, n=n, k=k: build_post(
                        n.host, n.port, "/json", run.body_one(k * share + i)
                    ),
                    on_response,
                )
                for k, n in enumerate(nodes)
            )
        )
        http = time.perf_counter() - t0
        marks = ",".join(f"'{s}'" for s in PENDING)

        async def drained() -> bool:
            return (
                int(await db.fetchval(f"SELECT count(*) FROM messages WHERE status IN ({marks})"))
                == 0
            )

        await _wait(drained, 600, "every message final")
        total = time.perf_counter() - t0
        cpu = [run.process_cpu_seconds(n.proc.pid) - c for n, c in zip(nodes, cpu0, strict=True)]
        sim_cpu = run.process_cpu_seconds(sim.pid) - sim_cpu0
        sent = share * count
        owner = await db.fetchval("SELECT owner FROM connector_leases")
        print(
            f"  nodes={count}: {sent} messages, {errors} errors, HTTP phase {http:.2f}s, "
            f"all final after {total:.2f}s "
            f"-> {sent / total:.0f} msg/s; CPU {sum(cpu) * 1e6 / sent:.0f} us/msg over all nodes "
            f"(per node: {', '.join(f'{c * 1e6 / sent:.0f}' for c in cpu)}; connector on {owner}), "
            f"simulator {sim_cpu * 1e6 / sent:.0f} us/msg",
            flush=True,
        )
        out = {"throughput": sent / total, "cpu_us": sum(cpu) * 1e6 / sent}
        if kill and count > 1:
            victim = next(n for n in nodes if n.id == owner)
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait(timeout=30)
            killed_at = datetime.now(UTC)

            async def taken() -> bool:
                row = await db.fetchrow("SELECT owner, bound FROM connector_leases")
                return row["owner"] not in ("", owner) and row["bound"] > 0

            await _wait(taken, 60, "another node holding the connector")
            row = await db.fetchrow("SELECT owner, acquired_at FROM connector_leases")
            took = (row["acquired_at"] - killed_at).total_seconds()
            print(
                f"  SIGKILL of {owner} (nodes={count}): {row['owner']} acquired the connector "
                f"{took:.1f} s later (lease 10 s, renewed every 2.5 s)",
                flush=True,
            )
            out["takeover_s"] = took
    finally:
        for n in nodes:
            n.stop()
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=30)
        await db.close()
        admin = await asyncpg.connect(admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return out


async def scenario_nodes(
    workdir: Path, messages: int, concurrency: int, report: Any, run: Any
) -> list[dict[str, object]]:
    print(f"  nodes: load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    results: list[dict[str, object]] = []
    for count in COUNTS:
        d = workdir / f"n{count}"
        (d / "var").mkdir(parents=True)
        got = await _round(d, count, messages, concurrency, run, kill=count == COUNTS[-1])
        results.append(
            report(
                f"nodes={count}, PostgreSQL, end to end", got["throughput"], "msg/s", "record", True
            )
        )
        results.append(
            report(f"nodes={count}, CPU per message", got["cpu_us"], "us", "record", True)
        )
        if "takeover_s" in got:
            took = got["takeover_s"]
            results.append(
                report("SIGKILL takeover of the connector", took, "s", "<= 15", took <= 15)
            )
    print(f"  nodes: load average {os.getloadavg()[0]:.2f} at the end", flush=True)
    return results
