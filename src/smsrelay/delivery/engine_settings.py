"""The delivery engine's tuning knobs, shared by the engine and its receipt writer.

Its own module so that ``engine`` (which runs the writer) and ``receipt_writer`` (which reads
the settings) do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["EngineSettings"]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    claim_batch: int = 400
    max_in_flight: int = 2000
    lease: timedelta = timedelta(minutes=5)
    poll_interval: float = 0.25
    retry_delay: timedelta = timedelta(seconds=5)
    housekeeping_interval: float = 1.0
    orphan_receipt_ttl: float = 120.0
    orphan_retry_interval: float = 0.2
    # Receipts and submit outcomes arrive one PDU at a time; waiting this long before writing
    # gathers them into one transaction (a few ms of latency against one commit per PDU).
    write_linger: float = 0.005
    receipt_batch: int = 500
    orphan_ack_after: float = 2.0  # an unmatched receipt is acknowledged after this long
    # messages in flight on one connector before it counts as busy (with several connectors
    # only: a slow carrier must not take every in-flight slot from the others)
    connector_backlog: int = 1000
    # an account/sender limit asking for a longer wait sends the message back to the queue
    max_limit_wait: float = 1.0
    part_retries: int = 3  # a part answered RETRY while its siblings were accepted: retry now
