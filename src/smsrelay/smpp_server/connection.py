"""One customer connection: an ``asyncio.Protocol`` around a sans-I/O :class:`Session` (SMSC).

The connection reads PDUs and hands them to its :class:`~.server.SmppServer`, which owns the
policy (binds, acceptance, the outbox). Bounded per connection: the PDU size (``max_pdu``,
checked from the header before a body is read), malformed or unknown PDUs (``max_bad_pdus``,
then closed), failed binds (``max_failed_binds``, then closed), the time allowed to bind, idle
time, and the window of deliver_sm awaiting deliver_sm_resp.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from ..domain.accounts import Account
from ..services.smpp_access import SmppAccess
from ..smpp import (
    CONNECTION_CLOSED,
    NEED_DATA,
    CommandId,
    CommandStatus,
    Pdu,
    Role,
    Session,
    SmppError,
    UnexpectedResponseError,
    encode,
    error_reply,
)

__all__ = ["Binding", "ConnectionSettings", "CustomerConnection", "Owner"]

log = structlog.get_logger("smsrelay.smpp_server")

C = CommandId
S = CommandStatus
_BINDS = {C.BIND_TRANSMITTER: "tx", C.BIND_RECEIVER: "rx", C.BIND_TRANSCEIVER: "trx"}
_UNSUPPORTED = {
    C.QUERY_SM: S.ESME_RQUERYFAIL,
    C.CANCEL_SM: S.ESME_RCANCELFAIL,
    C.REPLACE_SM: S.ESME_RREPLACEFAIL,
}
_IDS = itertools.count(1)


@dataclass(slots=True)
class Binding:
    """Who is bound on a connection, and its counters (for ``smsrelay smpp binds``)."""

    bind_id: str
    account: Account
    access: SmppAccess
    bind_type: str  # tx | rx | trx
    since: float
    submits: int = 0
    receipts: int = 0
    last_submits: int = 0
    last_receipts: int = 0

    @property
    def receives(self) -> bool:
        return self.bind_type != "tx"


class ConnectionSettings(Protocol):
    @property
    def window(self) -> int: ...
    @property
    def max_pdu(self) -> int: ...
    @property
    def response_timeout(self) -> float: ...
    @property
    def idle_timeout(self) -> float: ...
    @property
    def max_bad_pdus(self) -> int: ...


class Owner(Protocol):
    """What a connection needs from its server (``server.SmppServer``), which owns the policy."""

    @property
    def settings(self) -> ConnectionSettings: ...
    def connected(self, conn: CustomerConnection) -> bool: ...
    def disconnected(self, conn: CustomerConnection) -> None: ...
    def bad_pdu_from(self, address: str) -> None: ...
    def submit(self, conn: CustomerConnection, pdu: Pdu) -> None: ...
    def acknowledged(self, conn: CustomerConnection, pdu: Pdu) -> None: ...
    def spawn(self, coro: Coroutine[Any, Any, None]) -> None: ...
    def bind(
        self, conn: CustomerConnection, pdu: Pdu, bind_type: str
    ) -> Coroutine[Any, Any, None]: ...


class CustomerConnection(asyncio.Protocol):
    def __init__(self, server: Owner) -> None:
        cfg = server.settings
        self.server = server
        self.number = next(_IDS)
        self._loop = asyncio.get_running_loop()
        self.session = Session(
            Role.SMSC,
            window=cfg.window,
            max_pdu=cfg.max_pdu,
            response_timeout=cfg.response_timeout,
            enquire_link_interval=None,
            idle_timeout=cfg.idle_timeout,
            now=self._loop.time(),
        )
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.opened = self._loop.time()
        self.binding: Binding | None = None
        self.binding_in_progress = False
        self.pending_submits = 0
        self.inflight: dict[int, int] = {}  # deliver_sm sequence -> outbox row id
        self.failed_binds = 0
        self.closing = False
        self._bad = 0
        self._out: list[bytes] = []
        self._batching = False

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not self.server.connected(self):
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.close()
        self.transport = None
        self.server.disconnected(self)

    def data_received(self, data: bytes) -> None:
        session = self.session
        session.receive_data(data, self._loop.time())
        self._batching = True
        try:
            while self.transport is not None:
                try:
                    event = session.next_event()
                except SmppError as exc:
                    if not self._bad_pdu(exc):
                        break
                    continue
                if event is NEED_DATA or event is CONNECTION_CLOSED:
                    break
                assert isinstance(event, Pdu)
                self._handle(event)
        finally:
            self._batching = False
            self.flush()

    def eof_received(self) -> bool | None:
        return False

    # --- output ------------------------------------------------------------------------

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def send(self, pdu: Pdu) -> bool:
        if self.transport is None:
            return False
        try:
            data = self.session.send(pdu, self._loop.time())
        except SmppError:
            return False
        self._out.append(data)
        if not self._batching:
            self.flush()
        return True

    def flush(self) -> None:
        transport = self.transport
        if transport is None:
            self._out.clear()
            return
        if self._out:
            transport.write(b"".join(self._out))
            self._out.clear()
        if self.closing and self.pending_submits == 0:
            transport.close()

    def close(self) -> None:
        """Close once pending submit_sm are answered and the output is flushed."""
        self.closing = True
        self.flush()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # --- input -------------------------------------------------------------------------

    def _bad_pdu(self, exc: SmppError) -> bool:
        """Answer a bad PDU (its own response with the status, or generic_nack); return False
        when the connection stops reading (framing lost, or too many bad PDUs)."""
        self.server.bad_pdu_from(self.address)
        if isinstance(exc, UnexpectedResponseError):
            return True
        reply = error_reply(exc)
        if reply is not None:
            if exc.fatal:  # the session is closed: the last word bypasses it
                self._out.append(encode(reply))
            else:
                self.send(reply)
        self._bad += 1
        if exc.fatal or self._bad > self.server.settings.max_bad_pdus:
            self.close()
            return False
        return True

    def _handle(self, pdu: Pdu) -> None:
        command = pdu.command
        if command is C.SUBMIT_SM or command is C.DATA_SM:
            self.server.submit(self, pdu)
        elif command is C.DELIVER_SM_RESP or command is C.GENERIC_NACK:
            self.server.acknowledged(self, pdu)
        elif command is C.ENQUIRE_LINK:
            self.send(pdu.response())
        elif command in _BINDS:
            if self.binding_in_progress or self.binding is not None:
                self.send(pdu.response(S.ESME_RALYBND, (), system_id=""))
            else:
                self.binding_in_progress = True
                self.server.spawn(self.server.bind(self, pdu, _BINDS[command]))
        elif command is C.UNBIND:
            self.send(pdu.response())
            self.close()
        elif command in _UNSUPPORTED:
            self.send(pdu.response(_UNSUPPORTED[command]))
        # enquire_link_resp, unbind_resp, data_sm_resp: nothing to do
