"""The simulated SMSC's settings and counters, shared by the SMSC and its connections.

Their own module so that ``smsc`` (which accepts connections) and ``connection`` (which reads
the settings and counts) do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from .outcomes import IdFormat

__all__ = ["SimulatorConfig", "SmscCounters"]


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 2776  # 0 = any free port (tests); the actual one is Smsc.port
    system_id: str = "smsrelay"
    password: str = "smsrelay"  # empty = accept any system_id and password
    receipt_delay: float = 0.5  # seconds after submit_sm_resp; 0 = right behind it
    id_format: IdFormat = IdFormat.HEX
    max_binds: int = 64
    window: int = 1000  # deliver_sm awaiting deliver_sm_resp, per connection
    max_pdu: int = 64 * 1024
    max_bad_pdus: int = 10  # unknown or malformed PDUs per connection before closing it
    bind_timeout: float = 30.0  # a connection must bind within this many seconds
    max_pending_receipts: int = 100_000  # receipts waiting for a receiver, and per connection
    mo_echo: bool = False  # a submit to ...9008 is answered by an MO "STOP" from that number
    keep_submitted: int = 1000  # submit_sm PDUs kept in Smsc.submitted (for tests)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be in 0..65535")
        if self.receipt_delay < 0 or self.bind_timeout <= 0:
            raise ValueError("receipt_delay must be >= 0 and bind_timeout > 0")
        if min(self.max_binds, self.window, self.max_bad_pdus, self.max_pending_receipts) < 1:
            raise ValueError("max_binds, window, max_bad_pdus, max_pending_receipts must be >= 1")
        object.__setattr__(self, "id_format", IdFormat(self.id_format))


@dataclass(slots=True)
class SmscCounters:
    connections: int = 0
    binds: int = 0
    bind_failures: int = 0
    submits: int = 0
    accepted: int = 0
    rejected: int = 0
    throttled: int = 0
    receipts_sent: int = 0
    receipts_acked: int = 0
    receipts_dropped: int = 0
    mo_sent: int = 0
    enquire_links: int = 0
    unbinds: int = 0
    generic_nacks: int = 0
    bad_pdus: int = 0
    max_unanswered: int = 0  # most submit_sm received and not yet answered on one connection
    queries: int = 0  # query_sm answered about a known message
