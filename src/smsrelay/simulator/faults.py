"""Carrier faults the simulator injects on command: a :class:`FaultPlan` (what to do) and a
:class:`FaultState` (deterministic decisions per submit, and counters).

A plan is written as ``key=value`` words, e.g. ``"throttle=0.1 drop_every=5 receipt_first=1"``
(``smsrelay simulate fault …`` and the control bind send exactly this text; ``clear`` or an
empty text is the plan with no fault)::

    drop_every=S         cut every connection (no unbind) every S seconds
    throttle=X           answer a share X of submits ESME_RTHROTTLED (0x58)
    temp_error=X         answer a share X of submits ESME_RSYSERR (0x08, temporary)
    delay=X              hold a share X of submit_sm_resp back ``delay_seconds`` (past the
    delay_seconds=S        ESME's response timeout); the receipt follows the late response
    receipt_first=0|1    send each receipt before its submit_sm_resp
    duplicate_receipts=0|1  send each receipt twice
    unknown_receipts=X   after a share X of submits, also send a receipt for an id never issued
    malformed=X          after a share X of submits, send a malformed PDU
    malformed_kind=garbage|length  an unknown command_id (answered generic_nack) or a
                                   command_length below 16 (fatal: the link is dropped)

Shares are applied deterministically, not at random: with ``throttle=0.25`` exactly every
fourth submit is throttled, so tests are repeatable and a retried message soon gets through.
Faults apply only to submits the destination's magic outcome would accept (see
:mod:`.outcomes`).
"""

from __future__ import annotations

import enum
import math
import struct
from dataclasses import dataclass, field, fields

from ..smpp import CommandStatus

__all__ = [
    "CONTROL_SYSTEM_TYPE",
    "FaultCounters",
    "FaultDecision",
    "FaultPlan",
    "FaultState",
    "MalformedKind",
    "Share",
    "malformed_pdu",
]

#: system_type of a bind that controls the simulator: its submit_sm texts are fault plans.
CONTROL_SYSTEM_TYPE = "FAULTS"
MAX_PLAN_TEXT = 254  # one short_message (SMPP 3.4 §5.2.22)
_GARBAGE_COMMAND_ID = 0x0000_0FFF  # not a command of SMPP 3.4 (§5.1.2.1)
_JUNK_SEQUENCE = 0x7FFF_FFFF  # never one of the simulator's own deliver_sm sequences


class MalformedKind(enum.StrEnum):
    GARBAGE = "garbage"
    LENGTH = "length"


@dataclass(frozen=True, slots=True)
class FaultPlan:
    drop_every: float = 0.0
    throttle: float = 0.0
    temp_error: float = 0.0
    delay: float = 0.0
    delay_seconds: float = 0.0
    receipt_first: bool = False
    duplicate_receipts: bool = False
    unknown_receipts: float = 0.0
    malformed: float = 0.0
    malformed_kind: MalformedKind = MalformedKind.GARBAGE

    def __post_init__(self) -> None:
        for name in ("throttle", "temp_error", "delay", "unknown_receipts", "malformed"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0 or math.isnan(value):
                raise ValueError(f"fault {name} must be a share in 0..1, not {value}")
        if self.throttle + self.temp_error > 1.0:
            raise ValueError("fault throttle + temp_error must not exceed 1")
        for name in ("drop_every", "delay_seconds"):
            value = getattr(self, name)
            if not 0.0 <= value <= 3600.0:
                raise ValueError(f"fault {name} must be 0..3600 seconds, not {value}")
        if self.delay > 0 and self.delay_seconds <= 0:
            raise ValueError("fault delay needs delay_seconds > 0")
        object.__setattr__(self, "malformed_kind", MalformedKind(self.malformed_kind))

    @property
    def active(self) -> bool:
        return self != FaultPlan()

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """A plan from ``key=value`` words; ``clear`` (or nothing) is no fault. ValueError
        names the bad word."""
        if len(text) > MAX_PLAN_TEXT:
            raise ValueError(f"fault plan longer than {MAX_PLAN_TEXT} characters")
        kinds = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for word in text.replace(",", " ").split():
            if word == "clear":
                continue
            key, sep, raw = word.partition("=")
            key = key.replace("-", "_")
            if not sep or key not in kinds:
                raise ValueError(f"unknown fault {word!r} (known: {', '.join(kinds)})")
            values[key] = _coerce(key, raw, kinds[key])
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    def describe(self) -> str:
        """The plan as ``key=value`` words (only what differs from no fault), or ``clear``."""
        words = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                shown = int(value) if isinstance(value, bool) else value
                words.append(f"{f.name}={shown}")
        return " ".join(words) or "clear"


def _coerce(key: str, raw: str, kind: object) -> object:
    try:
        if kind in (bool, "bool"):
            if raw.lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes", "on")
        if kind in (float, "float"):
            return float(raw)
        return MalformedKind(raw)
    except ValueError:
        raise ValueError(f"fault {key}: bad value {raw!r}") from None


@dataclass(slots=True)
class Share:
    """Deterministic ``rate``: hit on the calls where ``floor(n * rate)`` steps up."""

    rate: float
    calls: int = 0

    def hit(self) -> bool:
        if self.rate <= 0:
            return False
        self.calls += 1
        return math.floor(self.calls * self.rate + 1e-9) > math.floor(
            (self.calls - 1) * self.rate + 1e-9
        )


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do with one submit the carrier would accept."""

    status: CommandStatus = CommandStatus.ESME_ROK  # the response status to answer instead
    delay: float = 0.0  # hold the response (and its receipt) this many seconds
    unknown_receipt: bool = False
    malformed: bytes = b""  # raw bytes to send after the response


NO_FAULT = FaultDecision()


@dataclass(slots=True)
class FaultCounters:
    throttled: int = 0
    temp_errors: int = 0
    delayed: int = 0
    unknown_receipts: int = 0
    malformed: int = 0
    drops: int = 0
    duplicate_receipts: int = 0
    receipts_first: int = 0


@dataclass(slots=True)
class FaultState:
    """The plan in force and its deterministic counters (sans-I/O: decides, never sends)."""

    plan: FaultPlan = field(default_factory=FaultPlan)
    counters: FaultCounters = field(default_factory=FaultCounters)
    _throttle: Share = field(default_factory=lambda: Share(0.0))
    _temp: Share = field(default_factory=lambda: Share(0.0))
    _delay: Share = field(default_factory=lambda: Share(0.0))
    _unknown: Share = field(default_factory=lambda: Share(0.0))
    _malformed: Share = field(default_factory=lambda: Share(0.0))

    def set(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._throttle = Share(plan.throttle)
        self._temp = Share(plan.temp_error)
        self._delay = Share(plan.delay)
        self._unknown = Share(plan.unknown_receipts)
        self._malformed = Share(plan.malformed)

    def on_submit(self) -> FaultDecision:
        """The fault (if any) for a submit the carrier would accept."""
        plan, c = self.plan, self.counters
        if not plan.active:
            return NO_FAULT
        status = CommandStatus.ESME_ROK
        if self._throttle.hit():
            status = CommandStatus.ESME_RTHROTTLED
            c.throttled += 1
        elif self._temp.hit():
            status = CommandStatus.ESME_RSYSERR
            c.temp_errors += 1
        delay = 0.0
        if self._delay.hit():
            delay = plan.delay_seconds
            c.delayed += 1
        unknown = self._unknown.hit()
        c.unknown_receipts += unknown
        junk = b""
        if self._malformed.hit():
            junk = malformed_pdu(plan.malformed_kind, _JUNK_SEQUENCE)
            c.malformed += 1
        return FaultDecision(status, delay, unknown, junk)


def malformed_pdu(kind: MalformedKind, sequence: int) -> bytes:
    """A PDU a well-behaved ESME must survive: an unknown command_id (it answers generic_nack,
    §5.1.2.1) or a command_length below the 16-octet header (it must drop the link, §3.2)."""
    if kind is MalformedKind.GARBAGE:
        return struct.pack(">IIII", 20, _GARBAGE_COMMAND_ID, 0, sequence) + b"\xde\xad\xbe\xef"
    return struct.pack(">IIII", 8, 0x0000_0004, 0, sequence)
