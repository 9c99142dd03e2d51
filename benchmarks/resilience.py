"""Benchmark scenarios of the fault issue (called from ``run.py``):

* ``parts3``     — end to end, every message 3 GSM parts (one submit_sm and one receipt each);
* ``binds2``     — end to end through two SMPP binds (``SMSRELAY_SMPP_BINDS=2``);
* ``sigkill``    — 50,000 messages, the platform killed with SIGKILL mid-run and started again
  on the same database; a simulator in this process outlives it and counts every submit:
  nothing lost, nothing charged twice, how many were submitted twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from loadgen import Client, build_post, run_closed_loop

Report = Callable[[str, float, str, str, bool], dict[str, object]]
THREE_PARTS = "Three part benchmark message text. " * 12  # 420 GSM characters: 3 parts
FINAL = ("delivered", "read", "undelivered", "expired", "partly_delivered", "rejected", "cancelled")


def _body(i: int, text: str) -> bytes:
    return json.dumps(
        {
            "token": "bench-token",
            "message": [
                {
                    "type_send_1": "sms",
                    "sender": "Bench",
                    "text": text,
                    "phones": [{"phone": f"79{i:05d}0000"}],  # no magic last-4 digits
                }
            ],
        }
    ).encode()


def _not_final(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        marks = ",".join("?" * len(FINAL))
        return int(
            con.execute(
                f"SELECT count(*) FROM messages WHERE status NOT IN ({marks})", FINAL
            ).fetchone()[0]
        )
    finally:
        con.close()


async def _until_final(db: Path, within: float = 900.0) -> None:
    deadline = time.monotonic() + within
    while _not_final(db) > 0:
        if time.monotonic() > deadline:
            raise RuntimeError("messages still not final")
        await asyncio.sleep(0.05)


async def _e2e(
    workdir: Path, messages: int, concurrency: int, text: str, env: dict[str, str]
) -> tuple[float, int]:
    import run as bench

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        server = bench.start_server(workdir, "--receipt-delay", "0.1")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    errors = 0

    def on_response(i: int, status: int, body: bytes, t: float) -> None:
        nonlocal errors
        errors += status != 200 or b'"send"' not in body

    cpu_of = getattr(server, "cpu_seconds", lambda: 0.0)  # CPU: robust to a busy machine
    try:
        t0, cpu0 = time.perf_counter(), cpu_of()
        await run_closed_loop(
            server.host,
            server.port,
            concurrency,
            messages,
            lambda i: build_post(server.host, server.port, "/json", _body(i, text)),
            on_response,
        )
        await _until_final(server.db_path)
        total = time.perf_counter() - t0
        print(f"  platform CPU: {(cpu_of() - cpu0) * 1e6 / messages:.0f} us/msg")
    finally:
        server.stop()
    return total, errors


async def scenario_parts3(
    workdir: Path, messages: int, concurrency: int, report: Report
) -> list[dict[str, object]]:
    total, errors = await _e2e(workdir, messages, concurrency, THREE_PARTS, {})
    print(f"  parts3: {messages} messages x 3 parts, {errors} errors, all final after {total:.2f}s")
    return [
        report(
            "end to end, 3 parts/msg, until all final", messages / total, "msg/s", "recorded", True
        ),
        report("end to end, 3 parts/msg: parts", 3 * messages / total, "part/s", "recorded", True),
    ]


async def scenario_binds2(
    workdir: Path, messages: int, concurrency: int, report: Report
) -> list[dict[str, object]]:
    total, errors = await _e2e(
        workdir, messages, concurrency, "Code 1234", {"SMSRELAY_SMPP_BINDS": "2"}
    )
    print(
        f"  binds2: {messages} messages over 2 SMPP binds, {errors} errors, "
        f"all final after {total:.2f}s"
    )
    return [
        report(
            "end to end, 2 SMPP binds, until all final", messages / total, "msg/s", "recorded", True
        )
    ]


def _serve(
    workdir: Path, env: dict[str, str], smpp_port: int, run: int
) -> tuple[subprocess.Popen[str], str, int]:
    import run as bench

    proc, line = bench.serve_ready(workdir, env, *bench.carrier_args(smpp_port))
    host, port = bench.ready_address(line)
    return proc, host, port


async def scenario_sigkill(workdir: Path, messages: int, report: Report) -> list[dict[str, object]]:
    import run as bench

    from smsrelay.simulator.smsc import SimulatorConfig, Smsc

    db = workdir / "var" / "bench.db"
    max_in_flight = 500
    env = {
        **os.environ,
        "SMSRELAY_DATABASE_URL": f"sqlite:///{db}",
        "SMSRELAY_LOG_LEVEL": "warning",
        "SMSRELAY_LEASE_SECONDS": "10",
        "SMSRELAY_MAX_IN_FLIGHT": str(max_in_flight),
    }
    bench.prepare_bench(workdir, env)
    smsc = Smsc(SimulatorConfig(port=0, receipt_delay=0.1))
    await smsc.start()
    per_request = 500
    batches = list(range(0, messages, per_request))
    received = unanswered = 0
    procs: list[subprocess.Popen[str]] = []
    try:
        proc, host, port = _serve(workdir, env, smsc.port, 1)
        procs.append(proc)
        where = {"host": host, "port": port}
        restarted = asyncio.Event()

        async def load() -> None:
            nonlocal received, unanswered
            while batches:
                first = batches.pop(0)
                phones = [
                    {"phone": f"79{i:05d}0000"}
                    for i in range(first, min(first + per_request, messages))
                ]
                body = json.dumps(
                    {
                        "token": "bench-token",
                        "message": [
                            {
                                "type_send_1": "sms",
                                "sender": "Bench",
                                "text": "Code 1234",
                                "phones": phones,
                            }
                        ],
                    }
                ).encode()
                client = Client(where["host"], where["port"])
                try:
                    await client.connect()
                    status, answer = await client.request(
                        build_post(where["host"], where["port"], "/json", body)
                    )
                    received += answer.count(b'"send"') if status == 200 else 0
                except (OSError, asyncio.IncompleteReadError):
                    unanswered += 1
                    await restarted.wait()
                finally:
                    await client.close()

        t0 = time.perf_counter()
        loaders = [asyncio.create_task(load()) for _ in range(4)]
        await smsc.wait_for(lambda s: s.counters.accepted >= messages // 3, within=900)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = smsc.counters.accepted
        t_kill = time.perf_counter()
        proc, host, port = _serve(workdir, env, smsc.port, 2)
        procs.append(proc)
        where.update(host=host, port=port)
        restarted.set()
        await asyncio.gather(*loaders)
        await _until_final(db)
        total = time.perf_counter() - t0
        recovery = time.perf_counter() - t_kill
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
        await smsc.stop()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        stored, delivered, owed = con.execute(
            "SELECT count(*), sum(status = 'delivered'), sum(parts * price_micros) FROM messages"
        ).fetchone()
        charged = -con.execute(
            "SELECT coalesce(sum(amount_micros), 0) FROM ledger WHERE kind = 'charge'"
        ).fetchone()[0]
        twice_db = con.execute("SELECT count(*) FROM messages WHERE attempts > 1").fetchone()[0]
    finally:
        con.close()
    twice = smsc.counters.accepted - stored
    print(
        f"  sigkill: {messages} sent, {received} ids received, {stored} stored, "
        f"{unanswered} requests unanswered; killed after {killed_at} submits; all final "
        f"{total:.1f}s after the start, {recovery:.1f}s after the kill; submitted twice: "
        f"{twice} (carrier), {twice_db} (attempts > 1); charged {charged} of {owed} micros"
    )
    return [
        report(
            "SIGKILL mid-run: messages lost",
            stored - delivered,
            "msgs",
            "== 0",
            stored == delivered,
        ),
        report(
            "SIGKILL mid-run: charged beyond price * parts",
            charged - owed,
            "micros",
            "== 0",
            charged == owed,
        ),
        report(
            "SIGKILL mid-run: submitted twice",
            twice,
            "msgs",
            f"<= {max_in_flight}",
            0 <= twice <= max_in_flight,
        ),
        report("SIGKILL mid-run: recovery until all final", recovery, "s", "recorded", True),
    ]
