"""The peer benchmark (issue 10): smsrelay against Kannel, same harness, same run.

Both platforms run against the same carrier simulator (``smsrelay simulator`` in its own process,
receipts after 0.1 s, a fresh one per round) and the same load generator
(:mod:`loadgen`: one HTTP request per message, ``--concurrency`` keep-alive clients), in
alternating rounds. Each platform reports every final status to an HTTP sink in this process:
Kannel through ``dlr-url`` with ``dlr-mask`` = delivered + undelivered + SMSC reject, smsrelay
through the account's status webhook. Printed per round: end to end (first request → every
message final), HTTP acceptance (the request phase), and the platform's CPU per message from
``/proc`` (bearerbox + smsbox; every smsrelay process), then the ratios smsrelay / Kannel.
"Final" for smsrelay is every message in a final state in its database (as in the ``e2e``
scenario; the time of the last webhook status is printed beside it, since webhooks are pushed
once a second); Kannel keeps no store, so its final is the last final DLR at the sink.

Kannel comes from Debian (``apt-get install kannel``: ``/usr/sbin/bearerbox``,
``/usr/sbin/smsbox``), log level warnings, 100 pending submits per bind, no store file.

    python benchmarks/run.py --scenario kannel --messages 5000 --rounds 3
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loadgen import build_post, run_closed_loop

BEARERBOX = os.environ.get("SMSRELAY_BENCH_BEARERBOX", "/usr/sbin/bearerbox")
SMSBOX = os.environ.get("SMSRELAY_BENCH_SMSBOX", "/usr/sbin/smsbox")
RECEIPT_DELAY = "0.1"
FINAL_DLR_MASK = 1 | 2 | 16  # delivered, undelivered, SMSC reject: Kannel's final reports
START_TIMEOUT = 60.0
DRAIN_TIMEOUT = 300.0  # seconds a round may wait for its last final status after the requests


@dataclass
class Round:
    platform: str
    messages: int
    errors: int
    http_seconds: float
    final_seconds: float
    sink_seconds: float  # first request -> the last final status at the HTTP sink
    finals: int
    cpu_seconds: float
    sim_cpu_seconds: float

    @property
    def e2e_rate(self) -> float:
        return self.messages / self.final_seconds

    @property
    def http_rate(self) -> float:
        return self.messages / self.http_seconds

    @property
    def cpu_us_per_msg(self) -> float:
        return self.cpu_seconds * 1e6 / self.messages


def kannel_missing() -> str | None:
    """A message saying how to install Kannel, or ``None`` when it is there."""
    for path in (BEARERBOX, SMSBOX):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return (
                f"Kannel is not installed ({path} not found): "
                "install it with `apt-get install kannel` (Debian/Ubuntu) and run again"
            )
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- /proc ------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out += [int(c) for c in text]
    except OSError:
        pass
    return out


def tree_cpu_seconds(pid: int, depth: int = 4) -> float:
    """User + system CPU of a process and its live descendants (bounded depth), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / os.sysconf(
        "SC_CLK_TCK"
    )  # utime, stime, and the reaped children's cutime, cstime
    if depth > 0:
        own += sum(tree_cpu_seconds(c, depth - 1) for c in _children(pid))
    return own


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the HTTP sink ----------------------------------------------------------------------------


class Sink:
    """Counts final statuses: Kannel's DLR GETs (``n`` = the request, ``type`` = DLR type) and
    smsrelay's webhook POSTs (one ``id_sms`` per status). Minimal HTTP/1.1 with keep-alive."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.statuses = 0
        self.last = 0.0
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self.changed = asyncio.Event()
        self.writers: set[asyncio.StreamWriter] = set()
        self.handlers: set[asyncio.Task[object]] = set()

    def reset(self) -> None:
        self.seen.clear()
        self.statuses = 0
        self.last = 0.0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=1 << 22)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for writer in list(self.writers):
                writer.transport.abort()  # its handler ends on the closed connection
            if self.handlers:
                await asyncio.wait(set(self.handlers), timeout=5)
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self.handlers.add(task)
            task.add_done_callback(self.handlers.discard)
        try:
            for _ in range(10_000_000):  # bounded: one request per turn
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                close = False
                for line in head.split(b"\r\n"):
                    low = line.lower()
                    if low.startswith(b"content-length:"):
                        length = min(int(line[15:]), 1 << 22)
                    elif low.startswith(b"connection:") and b"close" in low:
                        close = True
                body = await reader.readexactly(length) if length else b""
                self._count(head.split(b" ", 2)[1], body)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                    + (b"Connection: close\r\n" if close else b"")
                    + b"\r\nok"
                )
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    def _count(self, target: bytes, body: bytes) -> None:
        if target.startswith(b"/dlr"):
            query = urllib.parse.parse_qs(target.partition(b"?")[2].decode("latin-1"))
            kind = int(query.get("type", ["0"])[0] or 0)
            if kind & FINAL_DLR_MASK:
                self.seen.add(int(query["n"][0]))
        else:
            self.statuses += body.count(b'"id_sms"')
        self.last = time.perf_counter()
        self.changed.set()

    @property
    def finals(self) -> int:
        return max(len(self.seen), self.statuses)

    async def wait_for(self, count: int, timeout: float) -> bool:  # noqa: ASYNC109
        deadline = time.perf_counter() + timeout
        while self.finals < count:
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
        return True


# --- Kannel -----------------------------------------------------------------------------------


KANNEL_CONF = """\
group = core
admin-port = {admin}
admin-password = bench
admin-allow-ip = 127.0.0.1
smsbox-port = {smsbox}
log-level = 3
log-file = "{dir}/bearerbox.log"
box-allow-ip = 127.0.0.1
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {sim}
transceiver-mode = true
smsc-username = smsrelay
smsc-password = smsrelay
system-type = ""
max-pending-submits = 100
msg-id-type = 0x03
enquire-link-interval = 30
log-level = 3

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
log-level = 3
log-file = "{dir}/smsbox.log"

group = sendsms-user
username = bench
password = bench

group = sms-service
keyword = default
text = "ok"
catch-all = true
"""


def kannel_request(i: int, port: int, sink_port: int) -> bytes:
    # safe_phone/body texts as in run.py: the same numbers and texts as smsrelay's rounds
    from run import safe_phone

    dlr = f"http://127.0.0.1:{sink_port}/dlr?n={i}&type=%d"
    query = urllib.parse.urlencode(
        {
            "username": "bench",
            "password": "bench",
            "from": "Bench",
            "to": safe_phone(i),
            "text": f"Code {i}",
            "dlr-mask": str(FINAL_DLR_MASK),
            "dlr-url": dlr,
        }
    )
    return (f"GET /cgi-bin/sendsms?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").encode()


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:.0f}s")
        await asyncio.sleep(0.1)


def kannel_online(admin: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", admin), timeout=2) as s:
            s.sendall(b"GET /status.txt?password=bench HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            for _ in range(1000):  # bounded read
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return False
    # status.txt lists the SMSC "(online Ns, ...)" and each box connection "(on-line ...)"
    return b"(online" in data and b"(on-line" in data


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 30) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


async def kannel_round(
    workdir: Path, messages: int, concurrency: int, sink: Sink, start_simulator: Callable
) -> Round:
    sim, sim_port = start_simulator(workdir, RECEIPT_DELAY)
    admin, box, sendsms = free_port(), free_port(), free_port()
    conf = workdir / "kannel.conf"
    conf.write_text(
        KANNEL_CONF.format(admin=admin, smsbox=box, sendsms=sendsms, sim=sim_port, dir=workdir)
    )
    logs = (workdir / "kannel.out").open("wb")  # closed in finally
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(subprocess.Popen([BEARERBOX, str(conf)], stdout=logs, stderr=logs))  # noqa: ASYNC220
        await wait_until(lambda: port_open(box), START_TIMEOUT, "bearerbox listening")
        procs.append(subprocess.Popen([SMSBOX, str(conf)], stdout=logs, stderr=logs))  # noqa: ASYNC220
        await wait_until(lambda: port_open(sendsms), START_TIMEOUT, "smsbox listening")
        await wait_until(lambda: kannel_online(admin), START_TIMEOUT, "Kannel's SMSC online")
        sink.reset()
        errors = 0

        def on_response(i: int, status: int, body: bytes, t: float) -> None:
            nonlocal errors
            if status not in (200, 202) or not body.startswith(b"0:"):
                errors += 1

        t0 = time.perf_counter()
        cpu0 = sum(tree_cpu_seconds(p.pid, 0) for p in procs)
        sim0 = tree_cpu_seconds(sim.pid)
        http = await run_closed_loop(
            "127.0.0.1",
            sendsms,
            concurrency,
            messages,
            lambda i: kannel_request(i, sendsms, sink.port),
            on_response,
        )
        await sink.wait_for(messages - errors, DRAIN_TIMEOUT)
        end = sink.last if sink.finals else time.perf_counter()
        cpu = sum(tree_cpu_seconds(p.pid, 0) for p in procs) - cpu0
        sim_cpu = tree_cpu_seconds(sim.pid) - sim0
        return Round(
            "kannel", messages, errors, http, end - t0, end - t0, sink.finals, cpu, sim_cpu
        )
    finally:
        for p in reversed(procs):
            stop(p)
        stop(sim)
        logs.close()


async def smsrelay_round(
    workdir: Path, messages: int, concurrency: int, sink: Sink, run: object
) -> Round:
    start_simulator = run.start_simulator  # type: ignore[attr-defined]
    sim, sim_port = start_simulator(workdir, RECEIPT_DELAY)
    server = None
    try:
        hook = f"http://127.0.0.1:{sink.port}/hook"
        server = run.start_server(  # type: ignore[attr-defined]
            workdir,
            "--no-simulator",
            "--smpp-host",
            "127.0.0.1",
            "--smpp-port",
            str(sim_port),
            webhook=hook,
        )
        sink.reset()
        errors = 0

        def on_response(i: int, status: int, body: bytes, t: float) -> None:
            nonlocal errors
            if status != 200 or b'"send"' not in body:
                errors += 1

        t0 = time.perf_counter()
        cpu0 = tree_cpu_seconds(server.proc.pid)
        sim0 = tree_cpu_seconds(sim.pid)
        http = await run_closed_loop(
            server.host,
            server.port,
            concurrency,
            messages,
            lambda i: build_post(server.host, server.port, "/json", run.body_one(i)),  # type: ignore[attr-defined]
            on_response,
        )
        deadline = time.perf_counter() + DRAIN_TIMEOUT
        while run.pending_count(server.db_path) > 0 and time.perf_counter() < deadline:  # type: ignore[attr-defined]  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        end = time.perf_counter()
        await sink.wait_for(messages - errors, 30.0)  # the webhooks (pushed every second)
        cpu = tree_cpu_seconds(server.proc.pid) - cpu0
        sim_cpu = tree_cpu_seconds(sim.pid) - sim0
        hooked = (sink.last or time.perf_counter()) - t0
        return Round(
            "smsrelay", messages, errors, http, end - t0, hooked, sink.finals, cpu, sim_cpu
        )
    finally:
        if server is not None:
            server.stop()
        stop(sim)


def describe(r: Round) -> str:
    return (
        f"  {r.platform:<8} {r.messages} msgs, {r.errors} errors, {r.finals} final statuses at "
        f"the sink; HTTP acceptance {r.http_rate:,.0f} msg/s ({r.http_seconds:.2f}s); end to end "
        f"{r.e2e_rate:,.0f} msg/s ({r.final_seconds:.2f}s; last status at the sink after "
        f"{r.sink_seconds:.2f}s); platform CPU "
        f"{r.cpu_us_per_msg:,.0f} us/msg ({r.cpu_seconds / r.final_seconds:.2f} cores); "
        f"simulator {r.sim_cpu_seconds * 1e6 / r.messages:,.0f} us/msg"
    )


async def scenario_kannel(
    workdir: Path, messages: int, concurrency: int, rounds: int, report: Callable
) -> list[dict[str, object]]:
    import run  # the smsrelay side: the same helpers as the e2e scenario

    missing = kannel_missing()
    if missing:
        print(f"  kannel: SKIPPED. {missing}", flush=True)
        return []
    print(
        f"  kannel: {rounds} alternating rounds of {messages} messages, {concurrency} clients, "
        f"load average at start {load_average()}",
        flush=True,
    )
    sink = Sink()
    await sink.start()
    results: dict[str, list[Round]] = {"smsrelay": [], "kannel": []}
    try:
        for k in range(rounds):
            for platform in ("smsrelay", "kannel"):
                d = workdir / f"{platform}-{k}"
                d.mkdir()
                if platform == "smsrelay":
                    r = await smsrelay_round(d, messages, concurrency, sink, run)
                else:
                    r = await kannel_round(d, messages, concurrency, sink, run.start_simulator)
                results[platform].append(r)
                print(describe(r), flush=True)
                shutil.rmtree(d, ignore_errors=True)
    finally:
        await sink.stop()

    def med(platform: str, key: Callable[[Round], float]) -> float:
        return statistics.median(key(r) for r in results[platform])

    e2e = med("smsrelay", lambda r: r.e2e_rate) / med("kannel", lambda r: r.e2e_rate)
    http = med("smsrelay", lambda r: r.http_rate) / med("kannel", lambda r: r.http_rate)
    cpu = med("smsrelay", lambda r: r.cpu_us_per_msg) / med("kannel", lambda r: r.cpu_us_per_msg)
    print(
        f"  kannel: medians smsrelay / Kannel: end to end {e2e:.2f}, HTTP acceptance {http:.2f}, "
        f"CPU per message {cpu:.2f}; load average at end {load_average()}",
        flush=True,
    )
    return [
        report("end to end, smsrelay / Kannel (same run)", e2e, "x", ">= 2.0", e2e >= 2.0),
        report("HTTP acceptance, smsrelay / Kannel (same run)", http, "x", "(recorded)", True),
    ]
