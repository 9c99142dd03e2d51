"""Benchmark scenario ``smpp`` (issue 11): customers bind to smsrelay's SMPP server (window 100
each), submit one-part messages; smsrelay delivers them to the carrier simulator (its own
process) and returns every receipt to the customer. Figures: msg/s from the first submit_sm to
the last receipt received by the customer, with 1 and with 4 binds, and the platform's CPU per
message. The customer side is a small asyncio client on our own codec.

    python benchmarks/run.py --scenario smpp --messages 5000
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smsrelay.smpp import CommandId, Pdu, decode, encode, parse_header

C = CommandId
WINDOW = 100


class _Bind:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.seq = 0
        self.free = asyncio.Semaphore(WINDOW)
        self.bound = asyncio.get_running_loop().create_future()
        self.refused = 0
        self.answered = 0
        self.last_answer = 0.0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    async def read(self, on_receipt: Callable[[], None]) -> None:
        try:
            while True:
                header = await self.reader.readexactly(16)
                length = parse_header(header)[0]
                pdu = decode(header + await self.reader.readexactly(length - 16))
                if pdu.command is C.SUBMIT_SM_RESP:
                    if pdu.status:
                        self.refused += 1
                    self.answered += 1
                    self.last_answer = time.perf_counter()
                    self.free.release()
                elif pdu.command is C.DELIVER_SM:
                    self.writer.write(encode(pdu.response(0, (), message_id="")))
                    if pdu.int_param("esm_class") & 0x04:
                        on_receipt()
                elif pdu.command is C.BIND_TRANSCEIVER_RESP:
                    self.bound.set_result(pdu.status)
                elif pdu.command in (C.ENQUIRE_LINK, C.UNBIND):
                    self.writer.write(encode(pdu.response()))
        except (asyncio.IncompleteReadError, ConnectionError):
            return


async def _run(port: int, binds: int, messages: int, offset: int) -> tuple[float, int]:
    """Submit ``messages`` over ``binds`` binds; return (seconds first submit -> last receipt,
    refused submits)."""
    done = asyncio.Event()
    received = 0

    def on_receipt() -> None:
        nonlocal received
        received += 1
        if received >= messages:
            done.set()

    conns: list[_Bind] = []
    readers = []
    for _ in range(binds):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        b = _Bind(reader, writer)
        conns.append(b)
        readers.append(asyncio.create_task(b.read(on_receipt)))
        writer.write(
            encode(
                Pdu.bind(
                    C.BIND_TRANSCEIVER, sequence=b.next_seq(), system_id="bench", password="bench"
                )
            )
        )
        status = await b.bound
        assert status == 0, f"bind refused: {status}"

    async def submit_all(b: _Bind, start: int, count: int) -> None:
        for i in range(start, start + count):
            await b.free.acquire()
            b.writer.write(
                encode(
                    Pdu.submit_sm(
                        sequence=b.next_seq(),
                        source_addr_ton=5,
                        source_addr="Bench",
                        dest_addr_ton=1,
                        dest_addr_npi=1,
                        destination_addr=f"79{offset + i:07d}00",
                        registered_delivery=1,
                        short_message=f"Code {i}".encode(),
                    )
                )
            )

    share = messages // binds
    t0 = time.perf_counter()
    await asyncio.gather(
        *(submit_all(b, k * share, share if k < binds - 1 else messages - k * share)
          for k, b in enumerate(conns))
    )  # fmt: skip
    refused = sum(b.refused for b in conns)
    if refused:
        received += refused  # no receipt will come for those
        if received >= messages:
            done.set()
    await asyncio.wait_for(done.wait(), 600)
    elapsed = time.perf_counter() - t0
    accepted_in = max(b.last_answer for b in conns) - t0
    print(f"  smpp, {binds} bind(s): every submit_sm answered after {accepted_in:.2f}s")
    for b in conns:
        b.writer.close()
    for r in readers:
        r.cancel()
    return elapsed, refused


async def scenario_smpp(
    workdir: Path, messages: int, report: Callable[..., dict[str, object]], run: Any
) -> list[dict[str, object]]:
    """``run`` is benchmarks/run.py (start_simulator, start_server, smsrelay, ...)."""
    # the customers' window of 100 in both directions: submit_sm here, deliver_sm on the server
    run.os.environ["SMSRELAY_SMPP_SERVER_WINDOW"] = str(WINDOW)
    sim, sim_port = run.start_simulator(workdir, "0.1")
    server = run.start_server(
        workdir, "--no-simulator", "--smpp-host", "127.0.0.1", "--smpp-port", str(sim_port)
    )
    env = {**run.os.environ, "SMSRELAY_DATABASE_URL": f"sqlite:///{server.db_path}"}
    run.smsrelay(
        workdir, "account", "smpp", "bench", "--password", "bench",
        "--throughput", "1000000", "--max-binds", "8", env=env,
    )  # fmt: skip
    results: list[dict[str, object]] = []
    try:
        for binds, offset in ((1, 0), (4, 5_000_000)):
            cpu0 = server.cpu_seconds()
            elapsed, refused = await _run(server.smpp_port, binds, messages, offset)
            cpu = server.cpu_seconds() - cpu0
            rate = messages / elapsed
            print(
                f"  smpp, {binds} bind(s): {messages} messages, {refused} refused, "
                f"{elapsed:.2f}s first submit -> last receipt ({rate:.0f} msg/s), "
                f"platform CPU {cpu * 1e6 / messages:.0f} us/msg"
            )
            results.append(
                report(
                    f"SMPP customers, {binds} bind(s), submit -> receipt",
                    rate,
                    "msg/s",
                    ">= 3000",
                    rate >= 3000,
                )
            )
    finally:
        server.stop()
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=30)
    return results


if __name__ == "__main__":  # pragma: no cover
    sys.exit(subprocess.call([sys.executable, str(Path(__file__).with_name("run.py")),
                              "--scenario", "smpp", *sys.argv[1:]]))  # fmt: skip
