"""Latency from HTTP acceptance to submit_sm at the carrier, at a steady 1,000 msg/s.

The carrier here is our simulator SMSC running in *this* process, so the instant each
submit_sm arrives is read on the same clock as the instant each HTTP answer arrived.
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadgen import Client, build_post

from smsrelay.simulator.smsc import SimulatorConfig, Smsc

Report = Callable[[str, float, str, str, bool], dict[str, object]]


async def scenario_latency(
    workdir: Path, report: Report, rate: float = 1000.0, seconds: float = 10.0
) -> list[dict[str, object]]:
    from run import pending_count, start_server  # the runner's helpers

    arrivals: dict[str, float] = {}
    smsc = Smsc(SimulatorConfig(port=0, receipt_delay=0.1))
    original = smsc.receipt_for

    def stamped(request: Any, *args: Any, **kwargs: Any) -> Any:
        arrivals.setdefault(request.params["destination_addr"], time.time())
        return original(request, *args, **kwargs)

    smsc.receipt_for = stamped  # type: ignore[method-assign]
    await smsc.start()
    server = start_server(
        workdir, "--no-simulator", "--smpp-host", "127.0.0.1", "--smpp-port", str(smsc.port)
    )
    accepted: dict[str, float] = {}
    total = int(rate * seconds)
    try:
        pool: asyncio.Queue[Client] = asyncio.Queue()
        for _ in range(64):
            c = Client(server.host, server.port)
            await c.connect()
            pool.put_nowait(c)

        async def one(i: int) -> None:
            phone = f"78{i:07d}00"  # never a magic ``…900x`` number
            body = (
                b'{"token":"bench-token","message":[{"type_send_1":"sms","sender":"Bench",'
                b'"text":"Latency","phones":[{"phone":"' + phone.encode() + b'"}]}]}'
            )
            c = await pool.get()
            try:
                status, answer = await c.request(
                    build_post(server.host, server.port, "/json", body)
                )
            finally:
                pool.put_nowait(c)
            if status == 200 and b'"send"' in answer:
                accepted[phone] = time.time()

        start = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(i)))
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + 60
        while len(arrivals) < len(accepted) and time.perf_counter() < deadline:  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.05)
        while pending_count(server.db_path) > 0 and time.perf_counter() < deadline:  # noqa: ASYNC110 - its database
            await asyncio.sleep(0.05)
        while not pool.empty():
            await pool.get_nowait().close()
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=60)
        await smsc.stop()
    lat = sorted(max(0.0, arrivals[p] - t) * 1000 for p, t in accepted.items() if p in arrivals)
    if not lat:
        return [report("acceptance -> submit_sm p99", float("nan"), "ms", "<= 50", False)]
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"  latency: {len(accepted)} accepted of {total} at {rate:.0f}/s, "
        f"{len(lat)} seen at the carrier; p90 {lat[int(len(lat) * 0.9)]:.1f} ms, "
        f"p95 {lat[int(len(lat) * 0.95)]:.1f} ms, max {lat[-1]:.1f} ms; "
        f"slowest by second of the run: {slowest_by_second(accepted, arrivals)}"
    )
    return [
        report("acceptance -> submit_sm p50 at 1,000 msg/s", p50, "ms", "(p99 <= 50)", True),
        report("acceptance -> submit_sm p99 at 1,000 msg/s", p99, "ms", "<= 50", p99 <= 50),
    ]


def slowest_by_second(accepted: dict[str, float], arrivals: dict[str, float]) -> str:
    """Where the tail is: per second of the run, the worst latency (ms)."""
    if not accepted:
        return ""
    t0 = min(accepted.values())
    worst: dict[int, float] = {}
    for p, t in accepted.items():
        if p in arrivals:
            s = int(t - t0)
            worst[s] = max(worst.get(s, 0.0), (arrivals[p] - t) * 1000)
    return " ".join(f"{worst[s]:.0f}" for s in sorted(worst))
