"""Fault plans: their text form, deterministic shares, the decisions per submit, and the control
surface (a control bind from this process and from ``smsrelay simulate fault``)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsrelay.simulator.control import ControlError, send_fault_plan
from smsrelay.simulator.faults import (
    FaultCounters,
    FaultDecision,
    FaultPlan,
    FaultState,
    MalformedKind,
    Share,
    malformed_pdu,
)
from smsrelay.simulator.smsc import SimulatorConfig, Smsc
from smsrelay.smpp import CommandStatus

pytestmark = pytest.mark.faults

shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def test_plan_text_parses_every_key() -> None:
    """Every key of the plan is accepted in ``key=value`` form, ``-`` or ``_`` alike."""
    plan = FaultPlan.parse(
        "drop_every=5 throttle=0.1 temp-error=0.2 delay=0.3 delay_seconds=12 receipt_first=1 "
        "duplicate_receipts=yes unknown_receipts=0.5 malformed=0.05 malformed_kind=length"
    )
    expected = FaultPlan(5.0, 0.1, 0.2, 0.3, 12.0, True, True, 0.5, 0.05, MalformedKind.LENGTH)
    assert expected == plan


@pytest.mark.parametrize("text", ["", "clear", "  clear  "])
def test_clear_and_empty_are_no_fault(text: str) -> None:
    """``clear`` or nothing is the plan without any fault."""
    plan = FaultPlan.parse(text)
    assert (FaultPlan(), False, "clear") == (plan, plan.active, plan.describe())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("throttle", "unknown fault 'throttle'"),
        ("lightning=1", "unknown fault 'lightning=1'"),
        ("throttle=2", "fault throttle must be a share in 0..1"),
        ("throttle=abc", "fault throttle: bad value 'abc'"),
        ("throttle=0.6 temp_error=0.6", "throttle + temp_error must not exceed 1"),
        ("delay=0.5", "fault delay needs delay_seconds > 0"),
        ("receipt_first=maybe", "fault receipt_first: bad value 'maybe'"),
        ("malformed_kind=noise", "fault malformed_kind: bad value 'noise'"),
        ("drop_every=-1", "fault drop_every must be 0..3600 seconds"),
    ],
)
def test_bad_plans_are_refused_naming_the_word(text: str, message: str) -> None:
    """A bad word is refused with a message that names it."""
    with pytest.raises(ValueError) as caught:
        FaultPlan.parse(text)
    assert message in str(caught.value)


@given(shares, shares, st.booleans(), st.floats(min_value=0, max_value=3600, allow_nan=False))
def test_describe_parses_back_to_the_same_plan(
    throttle: float, unknown: float, first: bool, drop: float
) -> None:
    """The text form of a plan parses back to the same plan."""
    plan = FaultPlan(
        drop_every=drop, throttle=throttle, receipt_first=first, unknown_receipts=unknown
    )
    assert plan == FaultPlan.parse(plan.describe())


@given(shares, st.integers(min_value=1, max_value=2000))
def test_a_share_hits_exactly_its_rate(rate: float, calls: int) -> None:
    """After n calls a share has hit floor(n * rate) times: exact, not random."""
    share = Share(rate)
    hits = sum(share.hit() for _ in range(calls))
    assert int(calls * rate + 1e-9) == hits


def test_throttle_is_decided_first_and_temp_errors_share_the_rest() -> None:
    """Both shares at 1/2: every second submit is throttled, every second of the others is a
    temporary error; the counters say so."""
    state = FaultState()
    state.set(FaultPlan(throttle=0.5, temp_error=0.5))
    statuses = [state.on_submit().status for _ in range(4)]
    S = CommandStatus
    assert [S.ESME_ROK, S.ESME_RTHROTTLED, S.ESME_RSYSERR, S.ESME_RTHROTTLED] == statuses
    assert (2, 1) == (state.counters.throttled, state.counters.temp_errors)


def test_no_plan_decides_nothing() -> None:
    """Without a plan every submit gets the no-fault decision and no counter moves."""
    state = FaultState()
    assert {FaultDecision()} == {state.on_submit() for _ in range(10)}
    assert FaultCounters() == state.counters


def test_malformed_pdus_are_what_they_claim() -> None:
    """Garbage is a well-framed PDU with an unknown command_id; ``length`` a command_length
    below the header size."""
    garbage = malformed_pdu(MalformedKind.GARBAGE, 7)
    short = malformed_pdu(MalformedKind.LENGTH, 7)
    assert (len(garbage), 0x0FFF) == (int.from_bytes(garbage[:4]), int.from_bytes(garbage[4:8]))
    assert 8 == int.from_bytes(short[:4])


async def test_a_control_bind_puts_a_plan_in_force() -> None:
    """A control bind with the simulator's credentials sets the plan; a wrong password is
    refused and changes nothing."""
    smsc = Smsc(SimulatorConfig(port=0))
    await smsc.start()
    try:
        await send_fault_plan(FaultPlan(throttle=0.5), port=smsc.port)
        assert FaultPlan(throttle=0.5) == smsc.faults.plan
        with pytest.raises(ControlError, match="control bind refused: ESME_RINVPASWD"):
            await send_fault_plan(FaultPlan(), port=smsc.port, password="wrong")
        assert FaultPlan(throttle=0.5) == smsc.faults.plan
        assert 0 == smsc.counters.binds  # control binds are not delivery binds
    finally:
        await smsc.stop()


async def test_an_unreachable_simulator_is_one_clear_error() -> None:
    """Nothing listening: ControlError saying where it looked."""
    smsc = Smsc(SimulatorConfig(port=0))
    await smsc.start()
    port = smsc.port
    await smsc.stop()
    with pytest.raises(ControlError, match=f"cannot reach the simulator at 127.0.0.1:{port}"):
        await send_fault_plan(FaultPlan(), port=port, within=2.0)


async def test_cli_simulate_fault_sets_a_plan(tmp_path: Path) -> None:
    """``smsrelay simulate fault`` sets a plan on a running simulator; a bad plan is one line
    on stderr and exit 1."""
    smsc = Smsc(SimulatorConfig(port=0))
    await smsc.start()
    try:

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "smsrelay",
                    "simulate",
                    "fault",
                    "--port",
                    str(smsc.port),
                    *args,
                ],
                cwd=tmp_path,
                env={**os.environ},
                capture_output=True,
                text=True,
                timeout=60,
            )

        done = await asyncio.to_thread(cli, "throttle=0.1", "drop_every=5")
        expected = (0, "faults in force: drop_every=5.0 throttle=0.1\n")
        assert expected == (done.returncode, done.stdout)
        assert FaultPlan(drop_every=5.0, throttle=0.1) == smsc.faults.plan
        done = await asyncio.to_thread(cli, "throttle=7")
        assert 1 == done.returncode
        assert 1 == len(done.stderr.strip().splitlines())
    finally:
        await smsc.stop()
