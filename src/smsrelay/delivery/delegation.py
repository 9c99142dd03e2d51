"""Several processes on one machine (``serve --workers N``): claim at acceptance across
processes, with credits.

With one process, the accepting transaction stores the SMS it may deliver at once as claimed
by the local engine (``services.ports.Handoff``), which submits them the moment they are
committed: no second transaction, acceptance → submit_sm in a few milliseconds. An HTTP-only
process has no engine; storing its SMS ``queued`` and waking worker 0 costs worker 0 a claim
transaction on the database's one writer, which under load put the tail at hundreds of
milliseconds. So worker 0 lends each HTTP-only process *credits*: delivery slots of its engine,
reserved there (``Engine.reserve``) and sent over a unix stream socket. The child's
:class:`CreditHandoff` grants its accepting transactions up to its credit: they store those
SMS as claimed (leased, exactly as worker 0's own would be), and after the commit the
messages themselves travel to worker 0, whose :class:`CreditLender` hands them to the engine
(``Engine.take``): the claim is the acceptance, as with one process.

Nothing can be lost in transit: a message is committed as claimed with a lease before it is
sent, so one that never reaches worker 0 (it died, the connection broke) is claimed again
when its lease runs out (docs/operations.md, "lease_seconds"). Credits are bounded per child
(``share``), topped up as messages arrive, revoked when worker 0's engine cannot take messages
(no bound connector, stopping, connectors owned by another node) and given back by the child.

Frames, both ways: a 4-byte big-endian length, one kind byte, the payload (at most
``MAX_FRAME`` bytes). Worker 0 → child: ``C`` credit (decimal count), ``X`` revoke. Child →
worker 0: ``M`` messages (JSON, :func:`encode_messages`), ``R`` credit given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import orjson
import structlog

from ..domain.messages import Channel, MessageKind, OutboundMessage
from ..domain.money import Money

__all__ = ["CreditHandoff", "CreditLender", "decode_messages", "encode_messages"]

log = structlog.get_logger("smsrelay.delegation")

_HEADER = struct.Struct("!IB")
MAX_FRAME = 8 * 1024 * 1024
_CREDIT, _REVOKE, _MESSAGES, _RETURN = b"C"[0], b"X"[0], b"M"[0], b"R"[0]


def _frame(kind: int, payload: bytes) -> bytes:
    return _HEADER.pack(len(payload), kind) + payload


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    length, kind = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    if length > MAX_FRAME:
        raise ValueError(f"frame of {length} bytes")
    return kind, await reader.readexactly(length)


def encode_messages(messages: Sequence[OutboundMessage]) -> bytes:
    return orjson.dumps(
        [
            [
                m.id,
                m.account_id,
                m.phone,
                m.sender,
                m.text,
                m.parts,
                m.channel.value,
                m.kind.value,
                m.valid_until,
                m.attempts,
                m.price.micros,
                m.extra,
                m.due_at,
            ]
            for m in messages
        ]
    )


def decode_messages(data: bytes) -> list[OutboundMessage]:
    out = []
    for row in orjson.loads(data):
        (mid, account, phone, sender, text, parts, channel, kind, valid, attempts, price) = row[:11]
        extra, due = row[11], row[12]
        out.append(
            OutboundMessage(
                id=int(mid),
                account_id=int(account),
                phone=str(phone),
                sender=str(sender),
                text=str(text),
                parts=int(parts),
                channel=Channel(channel),
                kind=MessageKind(kind),
                valid_until=datetime.fromisoformat(valid),
                attempts=int(attempts),
                price=Money(int(price)),
                extra={str(k): str(v) for k, v in dict(extra).items()},
                due_at=datetime.fromisoformat(due) if due else None,
            )
        )
    return out


class Lendable(Protocol):
    """Worker 0's engine, as the lender sees it (``delivery.engine.Engine``)."""

    def reserve(self, wanted: int) -> int: ...
    def take(self, messages: Sequence[OutboundMessage], granted: int, queued: int) -> None: ...
    def release(self, granted: int) -> None: ...
    def takes_handoffs(self) -> bool: ...


class _Child:
    __slots__ = ("given", "revoking", "writer")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.given = 0  # credits the child holds (reserved in the engine)
        self.revoking = False


class CreditLender:
    """Worker 0's end: a unix stream server at ``path`` lending ``engine`` slots to the
    HTTP-only processes, ``share`` at most each, and taking the messages they claimed."""

    def __init__(self, path: Path, engine: Lendable, *, share: int, tick: float = 0.02) -> None:
        self.path = path
        self._engine = engine
        self._share = max(1, share)
        self._tick = tick
        self._children: set[_Child] = set()
        self._server: asyncio.AbstractServer | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.taken = 0  # messages received from the children (status, tests)

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        self._ticker = asyncio.create_task(self._tick_loop())

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._server is not None:
            self._server.close()
        for child in list(self._children):
            self._forget(child)
            child.writer.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self._tick)  # slots free up as submits end: top up
            for child in list(self._children):
                self._top_up(child)

    def _top_up(self, child: _Child) -> None:
        if child.revoking:
            return
        if not self._engine.takes_handoffs():
            if child.given > 0:
                child.revoking = True
                child.writer.write(_frame(_REVOKE, b""))
            return
        want = self._share - child.given
        if want < self._share // 2:  # still holds half: no frame per message
            return
        granted = self._engine.reserve(want)
        if granted > 0:
            child.given += granted
            child.writer.write(_frame(_CREDIT, str(granted).encode()))

    def _forget(self, child: _Child) -> None:
        if child in self._children:
            self._children.discard(child)
            if child.given > 0:
                self._engine.release(child.given)
                child.given = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        child = _Child(writer)
        self._children.add(child)
        try:
            self._top_up(child)
            while True:
                kind, payload = await _read_frame(reader)
                if kind == _MESSAGES:
                    messages = decode_messages(payload)
                    count = min(len(messages), child.given)
                    child.given -= count
                    self.taken += len(messages)
                    # beyond its credit (never, by the protocol) the engine takes them anyway:
                    # they are committed as claimed; its slots count them as in flight
                    self._engine.take(messages, count, 0)
                    self._top_up(child)
                elif kind == _RETURN:
                    back = min(int(payload or b"0"), child.given)
                    child.given -= back
                    self._engine.release(back)
                    child.revoking = False
                else:
                    raise ValueError(f"frame kind {kind}")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the child stopped
        except Exception:
            log.exception("delegation_failed")
        finally:
            self._forget(child)
            writer.close()


class CreditHandoff:
    """An HTTP-only process's :class:`~smsrelay.services.ports.Handoff`: grants its accepting
    transactions up to the credit worker 0 lent, sends the claimed messages to worker 0 after
    the commit, and wakes worker 0 (``wake``) for those stored ``queued``."""

    def __init__(self, path: Path, wake: Callable[[], None], lease: float) -> None:
        self._path = path
        self._wake = wake
        self._lease = timedelta(seconds=lease)
        self._credit = 0
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0  # messages sent to worker 0 (status, tests)
        self.stranded = 0  # claimed but not sent (connection lost): moved on by their lease

    # --- services.ports.Handoff ----------------------------------------------------------

    @property
    def lease(self) -> timedelta:
        return self._lease

    def reserve(self, wanted: int) -> int:
        granted = max(0, min(wanted, self._credit))
        self._credit -= granted
        return granted

    def routes_here(self) -> Callable[[int, str], bool] | None:
        return None  # worker 0 lends only while it delivers every route

    def take(self, messages: Sequence[OutboundMessage], granted: int, queued: int) -> None:
        if granted > len(messages):
            self._credit += granted - len(messages)
        if messages:
            writer = self._writer
            if writer is None or writer.is_closing():
                self.stranded += len(messages)
                log.warning("delegation_stranded", messages=len(messages))
            else:
                writer.write(_frame(_MESSAGES, encode_messages(messages)))
                self.sent += len(messages)
        if queued:
            self._wake()

    def release(self, granted: int) -> None:
        self._credit += granted

    # --- the connection ------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._credit = 0
        if self._writer is not None:
            self._writer.close()

    async def _run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(str(self._path))
            except OSError:  # worker 0 is not lending yet: SMS go queued meanwhile
                await asyncio.sleep(0.1)
                continue
            self._writer = writer
            try:
                await self._follow(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            except Exception:
                log.exception("delegation_failed")
            self._writer = None
            self._credit = 0
            writer.close()
            await asyncio.sleep(0.1)

    async def _follow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            kind, payload = await _read_frame(reader)
            if kind == _CREDIT:
                self._credit += int(payload)
            elif kind == _REVOKE:
                back, self._credit = self._credit, 0
                writer.write(_frame(_RETURN, str(back).encode()))
            else:
                raise ValueError(f"frame kind {kind}")
