"""Reassembly of long messages a customer sends in parts (UDH or SAR), bounded in time and size.

Parts of one message are keyed by (account, source, destination, reference, total): they may
arrive on different binds of the account and in any order. The part that completes the set
returns the whole text; the others are kept at most ``timeout`` seconds. An incomplete message
is then dropped: its parts were answered ESME_ROK with a provisional id, nothing was charged
for them and nothing is sent (docs/smpp-server.md, "Long messages").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .messages import Part, Refused, Submitted, decode_text

__all__ = ["PartAssembler", "provisional_id"]

Key = tuple[int, str, str, int, int]


@dataclass(slots=True)
class _Pending:
    first: Submitted  # the fields of the message (addresses, times, receipt) from its 1st part
    started: float
    parts: dict[int, bytes] = field(default_factory=dict)


class PartAssembler:
    def __init__(self, *, timeout: float = 60.0, max_pending: int = 10_000) -> None:
        self.timeout = timeout
        self.max_pending = max_pending  # incomplete messages kept, all accounts
        self._pending: dict[Key, _Pending] = {}
        self.dropped = 0  # incomplete messages dropped after the timeout

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, account_id: int, message: Submitted, now: float) -> Submitted | Refused | None:
        """The whole message once this part completes it, ``None`` while parts are missing,
        :class:`Refused` when the part cannot be kept (too many incomplete messages)."""
        part = message.part
        assert part is not None
        key = (account_id, message.source, message.destination, part.ref, part.total)
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= self.max_pending:
                self.expire(now)
                if len(self._pending) >= self.max_pending:
                    return Refused(0x14, "too many incomplete long messages")  # ESME_RMSGQFUL
            pending = self._pending[key] = _Pending(message, now)
        pending.parts[part.seq] = part.payload
        if len(pending.parts) < part.total:
            return None
        del self._pending[key]
        payload = b"".join(pending.parts[i] for i in range(1, part.total + 1))
        text = decode_text(payload, pending.first.data_coding)
        if isinstance(text, Refused):
            return text
        return pending.first.with_text(text)

    def expire(self, now: float) -> int:
        """Drop incomplete messages older than the timeout; return how many."""
        old = [k for k, p in self._pending.items() if now - p.started >= self.timeout]
        for k in old:
            del self._pending[k]
        self.dropped += len(old)
        return len(old)


def provisional_id(part: Part) -> str:
    """The message_id answered for a part that does not complete its message."""
    return f"P{part.ref}-{part.seq}-{part.total}"
