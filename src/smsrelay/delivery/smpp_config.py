"""Configuration and link states of the SMPP connector (typed, validated once)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..smpp import CommandId
from .smpp_submit import ConcatMode

__all__ = [
    "BIND_COMMAND",
    "LINK_TRANSITIONS",
    "BindMode",
    "IllegalLinkTransition",
    "LinkState",
    "SmppConnectorConfig",
]


class BindMode(enum.StrEnum):
    TRANSMITTER = "transmitter"
    RECEIVER = "receiver"
    TRANSCEIVER = "transceiver"


BIND_COMMAND = {
    BindMode.TRANSMITTER: CommandId.BIND_TRANSMITTER,
    BindMode.RECEIVER: CommandId.BIND_RECEIVER,
    BindMode.TRANSCEIVER: CommandId.BIND_TRANSCEIVER,
}


class LinkState(enum.StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    BINDING = "binding"
    BOUND = "bound"
    UNBINDING = "unbinding"
    BACKOFF = "backoff"
    STOPPED = "stopped"


L = LinkState
LINK_TRANSITIONS: dict[LinkState, frozenset[LinkState]] = {
    L.IDLE: frozenset({L.CONNECTING, L.STOPPED}),
    L.CONNECTING: frozenset({L.BINDING, L.BACKOFF, L.STOPPED}),
    L.BINDING: frozenset({L.BOUND, L.BACKOFF, L.STOPPED}),
    L.BOUND: frozenset({L.UNBINDING, L.BACKOFF, L.STOPPED}),
    L.UNBINDING: frozenset({L.STOPPED}),
    L.BACKOFF: frozenset({L.CONNECTING, L.STOPPED}),
    L.STOPPED: frozenset(),
}


class IllegalLinkTransition(RuntimeError):
    def __init__(self, current: LinkState, target: LinkState) -> None:
        super().__init__(f"illegal link transition {current.value} -> {target.value}")
        self.lookup = (current, target)


@dataclass(frozen=True, slots=True)
class SmppConnectorConfig:
    name: str
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind: BindMode = BindMode.TRANSCEIVER
    window: int = 10
    enquire_link_interval: float = 30.0
    response_timeout: float = 10.0
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    throughput: float | None = None  # parts per second; None = unlimited
    concat: ConcatMode = ConcatMode.UDH8
    source_ton: int | None = None  # None = by the sender's form (see smpp_submit)
    source_npi: int | None = None
    dest_ton: int = 1
    dest_npi: int = 1
    service_type: str = ""
    throttle_backoff: float = 1.0  # first pause after ESME_RTHROTTLED / ESME_RMSGQFUL
    max_throttle_retries: int = 5
    max_resubmits: int = 3
    link_wait: float = 30.0  # how long submit waits for a bound link before RETRY
    max_pdu: int = 64 * 1024

    def __post_init__(self) -> None:
        checks = (
            ("port", 0 < self.port <= 65535),
            ("window", self.window >= 1),
            ("enquire_link_interval", self.enquire_link_interval > 0),
            ("response_timeout", self.response_timeout > 0),
            ("reconnect_min", 0 < self.reconnect_min <= self.reconnect_max),
            ("throughput", self.throughput is None or self.throughput > 0),
            ("throttle_backoff", self.throttle_backoff > 0),
            ("max_throttle_retries", self.max_throttle_retries >= 0),
            ("max_resubmits", self.max_resubmits >= 0),
            ("link_wait", self.link_wait >= 0),
        )
        for key, ok in checks:
            if not ok:
                raise ValueError(f"smpp connector {self.name!r}: invalid {key}")
        object.__setattr__(self, "bind", BindMode(self.bind))
        object.__setattr__(self, "concat", ConcatMode(self.concat))
