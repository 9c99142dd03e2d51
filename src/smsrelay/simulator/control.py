"""Putting a fault plan in force on a running simulator from another process.

The simulator has no side door: the control surface is SMPP itself. A *control bind*
(bind_transmitter with system_type ``FAULTS`` and the simulator's credentials) submits the
plan's text as a submit_sm; ESME_ROK means the plan is in force, ESME_RSUBMITFAIL that the
simulator refused it. Then the client unbinds. Every step is bounded by ``within`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from ..smpp import NEED_DATA, CommandId, CommandStatus, Pdu, Role, Session, status_name
from .faults import CONTROL_SYSTEM_TYPE, FaultPlan

__all__ = ["ControlError", "control_submit", "send_fault_plan"]


class ControlError(Exception):
    """The simulator could not be reached, refused the bind, or refused the plan."""


async def control_submit(
    system_type: str,
    submit: Callable[[int], Pdu],
    *,
    host: str,
    port: int,
    system_id: str,
    password: str,
    within: float,
    refused: Callable[[int], str],
) -> None:
    """Bind with ``system_type``, send ``submit(sequence)``, unbind.

    Raises ControlError when the simulator cannot be reached, refuses the bind, answers the
    submit with an error (message from ``refused(status)``) or is silent past ``within`` s.
    """
    try:
        async with asyncio.timeout(within):
            reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError) as exc:
        raise ControlError(f"cannot reach the simulator at {host}:{port}: {exc}") from exc
    loop = asyncio.get_running_loop()
    session = Session(Role.ESME, window=1, enquire_link_interval=None, now=loop.time())

    async def exchange(pdu: Pdu) -> Pdu:
        writer.write(session.send(pdu, loop.time()))
        await writer.drain()
        while True:
            event = session.next_event()
            if isinstance(event, Pdu):
                if event.is_response and event.sequence == pdu.sequence:
                    return event
                continue
            if event is not NEED_DATA:
                raise ControlError("the simulator closed the connection")
            data = await reader.read(65536)
            session.receive_data(data, loop.time())

    try:
        async with asyncio.timeout(within):
            bind = await exchange(
                Pdu.bind(
                    CommandId.BIND_TRANSMITTER,
                    sequence=session.next_sequence(),
                    system_id=system_id,
                    password=password,
                    system_type=system_type,
                )
            )
            if not bind.ok:
                raise ControlError(f"control bind refused: {status_name(bind.status)}")
            answer = await exchange(submit(session.next_sequence()))
            if answer.status != CommandStatus.ESME_ROK:
                raise ControlError(refused(answer.status))
            with contextlib.suppress(ControlError):
                await exchange(Pdu.unbind(session.next_sequence()))
    except TimeoutError as exc:
        raise ControlError(f"the simulator did not answer within {within}s") from exc
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def send_fault_plan(
    plan: FaultPlan,
    *,
    host: str = "127.0.0.1",
    port: int = 2776,
    system_id: str = "smsrelay",
    password: str = "smsrelay",
    within: float = 5.0,
) -> None:
    """Put ``plan`` in force on the simulator at ``host:port``; ControlError if it is not."""
    await control_submit(
        CONTROL_SYSTEM_TYPE,
        lambda seq: Pdu.submit_sm(
            sequence=seq,
            destination_addr="faults",
            short_message=plan.describe().encode("latin-1"),
        ),
        host=host,
        port=port,
        system_id=system_id,
        password=password,
        within=within,
        refused=lambda status: f"the simulator refused the plan: {status_name(status)}",
    )
