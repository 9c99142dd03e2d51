"""One TCP connection of the SMPP connector: a sans-I/O :class:`Session` driven by asyncio.

The link reads, decodes and answers what the SMSC sends (enquire_link, unbind, deliver_sm ->
deliver_sm_resp always, generic_nack for garbage), matches responses to request futures, and
keeps time from the injected clock: :meth:`Session.timeouts` decides which requests timed out
and when an enquire_link is due, checked every ``tick`` seconds. Writes made in one loop
iteration are coalesced into one ``write``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

import structlog

from ..clock import Clock
from ..smpp import (
    CONNECTION_CLOSED,
    NEED_DATA,
    CommandId,
    Pdu,
    Session,
    SmppError,
    UnexpectedResponseError,
    encode,
    error_reply,
)

__all__ = ["LinkClosed", "LinkHandler", "ResponseTimeout", "SmppLink"]

log = structlog.get_logger("smsrelay.smpp")

C = CommandId
READ_SIZE = 256 * 1024
MAX_BAD_PDUS = 10  # malformed PDUs from the SMSC tolerated on one connection
_VITAL = frozenset(
    {C.ENQUIRE_LINK, C.UNBIND, C.BIND_TRANSCEIVER, C.BIND_TRANSMITTER, C.BIND_RECEIVER}
)


class LinkClosed(Exception):
    """The connection went down before the response arrived."""


class ResponseTimeout(Exception):
    """No response within the session's response_timeout."""


class LinkHandler(Protocol):
    def on_message(self, pdu: Pdu, ack: Callable[[], None]) -> bool:
        """A deliver_sm or data_sm for the connector to interpret. True: the handler calls
        ``ack`` (sends the response) later, once it stored what it got; False: answer now."""
        ...

    def on_link_closed(self) -> None:
        """The connection is gone (called once, synchronously, as soon as it is known)."""
        ...


class SmppLink:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        session: Session,
        clock: Clock,
        handler: LinkHandler,
        tick: float,
    ) -> None:
        self.session = session
        self._reader = reader
        self._writer = writer
        self._clock = clock
        self._handler = handler
        self._tick = tick
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, asyncio.Future[Pdu] | None] = {}
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._closed = False
        self._bad = 0
        self.idle = asyncio.Event()  # set while no windowed request awaits its response
        self.idle.set()

    # --- state -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def in_flight(self) -> int:
        return sum(1 for f in self._pending.values() if f is not None)

    # --- writing -----------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out and not self._writer.is_closing():
            self._writer.write(b"".join(self._out))
        self._out.clear()

    def send(self, pdu: Pdu) -> bool:
        """Send a response or a fire-and-forget request; False if the session refused it."""
        if self._closed:
            return False
        try:
            data = self.session.send(pdu, self._clock.monotonic())
        except SmppError as exc:
            log.warning("smpp_send_refused", command=pdu.command.name.lower(), error=str(exc))
            return False
        if not pdu.is_response:
            self._pending[pdu.sequence] = None
        self._write(data)
        return True

    def request(self, make: Callable[[int], Pdu]) -> asyncio.Future[Pdu]:
        """Send ``make(sequence)``; the future gets its response, LinkClosed or ResponseTimeout.

        Raises LinkClosed when the link is down, SmppError when the PDU cannot be sent.
        """
        if self._closed:
            raise LinkClosed("link is closed")
        pdu = make(self.session.next_sequence())
        data = self.session.send(pdu, self._clock.monotonic())
        future: asyncio.Future[Pdu] = self._loop.create_future()
        self._pending[pdu.sequence] = future
        self.idle.clear()
        self._write(data)
        return future

    # --- reading -----------------------------------------------------------------------

    async def run(self) -> None:
        """Read until the connection ends; then fail every pending request with LinkClosed."""
        ticker = asyncio.create_task(self._ticks())
        try:
            while not self._closed:
                data = await self._reader.read(READ_SIZE)
                self.session.receive_data(data, self._clock.monotonic())
                if not self._drain() or not data:
                    break
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            self._shutdown()

    def _drain(self) -> bool:
        while True:
            try:
                event = self.session.next_event()
            except UnexpectedResponseError:
                continue  # a late response to a request that already timed out
            except SmppError as exc:
                reply = error_reply(exc)
                if reply is not None and exc.fatal:
                    self._write(encode(reply))  # the session is closed: bypass it
                elif reply is not None:
                    self.send(reply)
                self._bad += 1
                if exc.fatal or self._bad > MAX_BAD_PDUS:
                    log.warning("smpp_link_garbage", error=str(exc))
                    return False
                continue
            if event is NEED_DATA:
                return True
            if event is CONNECTION_CLOSED:
                return False
            assert isinstance(event, Pdu)
            if not self._dispatch(event):
                return False

    def _dispatch(self, pdu: Pdu) -> bool:
        if pdu.is_response:
            future = self._pending.pop(pdu.sequence, None)
            if future is not None and not future.done():
                future.set_result(pdu)
            self._check_idle()
            return True
        command = pdu.command
        if command is C.DELIVER_SM or command is C.DATA_SM:
            later = False
            try:
                later = self._handler.on_message(pdu, lambda: self._ack(pdu))
            except Exception as exc:  # a sink's failure must not take the link down
                log.error("smpp_inbound_handler_failed", error=repr(exc))
            if not later:
                self.send(pdu.response())  # always acknowledged, whatever it turns out to be
        elif command is C.ENQUIRE_LINK:
            self.send(pdu.response())
        elif command is C.UNBIND:
            self.send(pdu.response())
            log.info("smpp_unbind_by_peer")
            self._flush()
            return False
        return True

    def _ack(self, pdu: Pdu) -> None:
        """A deferred deliver_sm_resp; lost with the link (the SMSC then sends it again)."""
        if not self._closed:
            self.send(pdu.response())

    def _check_idle(self) -> None:
        if not any(f is not None for f in self._pending.values()):
            self.idle.set()

    # --- time --------------------------------------------------------------------------

    async def _ticks(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._tick)
            timeouts = self.session.timeouts(self._clock.monotonic())
            dead = False
            for pdu in timeouts.expired:
                future = self._pending.pop(pdu.sequence, None)
                if future is not None and not future.done():
                    future.set_exception(
                        ResponseTimeout(f"no response to {pdu.command.name.lower()}")
                    )
                dead = dead or pdu.command in _VITAL
            if timeouts.expired:
                self._check_idle()
            if dead:
                log.warning("smpp_link_unresponsive")
                self.abort()
                return
            if timeouts.enquire_link_due:
                self.send(Pdu.enquire_link(self.session.next_sequence()))

    # --- closing -----------------------------------------------------------------------

    async def unbind(self, within: float) -> None:
        """Send unbind and wait (bounded) for unbind_resp; the caller closes afterwards."""
        try:
            future = self.request(Pdu.unbind)
        except (LinkClosed, SmppError):
            return
        with contextlib.suppress(LinkClosed, ResponseTimeout, TimeoutError):
            await asyncio.wait_for(future, within)

    def abort(self) -> None:
        """Close the connection now (the read loop ends and pending requests fail)."""
        self._flush()
        transport = self._writer.transport
        if not transport.is_closing():
            transport.close()

    def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._flush()
        self.session.close()
        for future in self._pending.values():
            if future is not None and not future.done():
                future.set_exception(LinkClosed("connection lost"))
        self._pending.clear()
        self.idle.set()
        if not self._writer.is_closing():
            self._writer.close()
        self._handler.on_link_closed()

    async def wait_closed(self) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            await self._writer.wait_closed()
