"""One logging pipeline: structlog for our events, and every library's stdlib logging (Alembic,
uvicorn, httpx, the database drivers) rendered by the same structlog processors.

Nothing secret is ever written, at any level: :func:`redact` runs on every event (ours and the
libraries'). Fields named like a secret or a message body are replaced by ``***``, phone
numbers keep only their first four and last two digits, and in every string a URL's query and
password and ``password=``/``token=``-style items are masked. Our own code never passes a
secret in the first place; this is the net under it.

Our own events are rendered by structlog directly (no stdlib LogRecord per event: about half
the cost); library records reach the same processors through ``ProcessorFormatter``.

The per-message trail (``smsrelay.trail`` logger, INFO: accepted, submitted with the carrier
ids, final) can be turned off (``log_message_trail = false``) without changing the level of
anything else. Conditions that last (a link that cannot bind, a failing webhook, a route with
no bound connector) are logged once per change of state through :class:`StateLog`.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Hashable, Iterable, MutableMapping
from typing import Any, Final, TextIO

import structlog

__all__ = [
    "StateLog",
    "configure_logging",
    "mask_phone",
    "redact",
    "scrub",
    "trail_accepted",
    "trail_final",
    "trail_submitted",
]

LOG_FORMATS: Final = ("console", "json")

_SECRET_KEYS: Final = frozenset(
    {
        "password",
        "passwd",
        "psw",
        "pwd",
        "pass",
        "token",
        "secret",
        "authorization",
        "api_key",
        "apikey",
        "text",
        "body",
        "message_text",
        "content",
        "signature",
    }
)
_PHONE_KEYS: Final = frozenset(
    {"phone", "phones", "msisdn", "source", "destination", "source_addr", "destination_addr"}
)
_URL_QUERY: Final = re.compile(r"((?:https?|wss?)://[^\s?#\"'<>]+)\?[^\s#\"'<>]*", re.IGNORECASE)
_URL_PASSWORD: Final = re.compile(r"(://[^:/@\s]+):[^@\s]+@")
_SECRET_ITEM: Final = re.compile(
    r"\b(password|passwd|psw|pwd|pass|token|secret|api_key|apikey)(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s&,;)\"']+)",
    re.IGNORECASE,
)
_MASK: Final = "***"

_trail_on = True
trail_log = structlog.get_logger("smsrelay.trail")


def mask_phone(phone: object) -> str:
    """``79001234567`` → ``7900*****67``: enough to tell numbers apart in a support case."""
    digits = str(phone)
    if len(digits) <= 6:
        return _MASK
    return digits[:4] + "*" * (len(digits) - 6) + digits[-2:]


def scrub(text: str) -> str:
    """Mask URL queries, URL passwords and ``key=value`` secrets inside free text."""
    if "://" in text:
        text = _URL_QUERY.sub(r"\1?" + _MASK, text)
        text = _URL_PASSWORD.sub(r"\1:" + _MASK + "@", text)
    if "=" in text or ":" in text:  # the only separators _SECRET_ITEM knows
        text = _SECRET_ITEM.sub(r"\1\2" + _MASK, text)
    return text


_OURS: Final = frozenset({"timestamp", "level", "log_level"})  # written by the pipeline itself
_PLAIN_KEYS: Final = frozenset({"event", "logger"})  # names, scrubbed only if they look odd


def _clean(key: str, value: Any) -> Any:
    if isinstance(value, int | float | bool | None) and key not in _PHONE_KEYS:
        return value
    low = key.lower()
    if low in _SECRET_KEYS:
        return _MASK
    if low in _PHONE_KEYS:
        if isinstance(value, str | int):
            return mask_phone(value)
        if isinstance(value, Iterable):
            return [mask_phone(v) for v in value]
        return _MASK
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v) if isinstance(v, str) else v for v in value]
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the event with every secret masked (see the module docstring)."""
    for key, value in list(event.items()):
        if key.startswith("_") or key in _OURS or (key in _PLAIN_KEYS and not _suspect(value)):
            continue
        event[key] = _clean(key, value)
    return event


def _suspect(value: Any) -> bool:
    """A plain field (our event names, logger names) with nothing scrub() would change."""
    return isinstance(value, str) and ("://" in value or "=" in value or ":" in value)


class _WorkerTag:
    """A processor: ``worker=N`` on every line of the process (several ``serve`` processes)."""

    def __init__(self, worker: int) -> None:
        self._worker = worker

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
        event.setdefault("worker", self._worker)
        return event


def configure_logging(
    level: str = "info",
    log_format: str = "console",
    *,
    message_trail: bool = True,
    stream: TextIO | None = None,
    worker: int | None = None,
) -> None:
    """Route structlog and stdlib logging through one handler on ``stream`` (stderr).

    ``worker``: this process's number among the ``serve`` processes sharing the log (every
    line then says ``worker=N``); None: the only process."""
    global _trail_on
    lvl = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[Any] = [
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        timestamper,
    ]
    if worker is not None:
        shared.append(_WorkerTag(worker))
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,  # last before rendering: also covers tracebacks and library messages
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(lvl)
    # libraries whose debug output is noise or carries statement parameters (message texts)
    for name, floor in (
        ("aiosqlite", logging.WARNING),
        ("sqlalchemy", logging.WARNING),
        ("asyncpg", logging.INFO),
        ("httpcore", logging.INFO),
        ("hpack", logging.INFO),
        ("multipart", logging.INFO),
        ("python_multipart", logging.INFO),
    ):
        logging.getLogger(name).setLevel(max(lvl, floor))
    logging.getLogger("uvicorn").setLevel(lvl)
    _trail_on = message_trail and lvl <= logging.INFO
    logging.getLogger("smsrelay.trail").setLevel(logging.INFO if _trail_on else logging.WARNING)
    # Our own events skip the stdlib machinery (a LogRecord, a handler lock, a copy of the
    # record per event): the same processors and renderer, written straight to the stream.
    out = handler.stream
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        logger_factory=lambda *args: _NamedWriter(out, args[0] if args else "smsrelay"),
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        cache_logger_on_first_use=True,
    )


class _NamedWriter(structlog.WriteLogger):
    """structlog's line writer with a ``name`` (for ``add_logger_name``, as stdlib loggers)."""

    def __init__(self, stream: TextIO, name: str) -> None:
        super().__init__(stream)
        self.name = name


# --- the per-message trail ---------------------------------------------------------------------


def trail_accepted(id_sms: int, account_id: int, phone: str, parts: int, channel: str) -> None:
    if _trail_on:
        trail_log.info(
            "message_accepted",
            id_sms=id_sms,
            account=account_id,
            phone=phone,
            parts=parts,
            channel=channel,
        )


def trail_submitted(
    id_sms: int, connector: str, carrier_ids: Iterable[str], rejected_parts: int
) -> None:
    if _trail_on:
        trail_log.info(
            "message_submitted",
            id_sms=id_sms,
            connector=connector,
            carrier_ids=list(carrier_ids),
            rejected_parts=rejected_parts,
        )


def trail_final(id_sms: int, account_id: int, status: str) -> None:
    if _trail_on:
        trail_log.info("message_final", id_sms=id_sms, account=account_id, status=status)


# --- conditions logged once per change -------------------------------------------------------


class StateLog:
    """Remembers the last state logged for each key: a condition that repeats (every retry,
    every message) is written when it starts and when it ends, not each time.

    ``change(key, state)`` is True when ``state`` differs from the last one of ``key`` (a key
    never seen is in ``normal``, so the first normal report writes nothing)."""

    __slots__ = ("_last", "_normal")

    def __init__(self, normal: Hashable = "ok") -> None:
        self._normal = normal
        self._last: dict[Hashable, Hashable] = {}

    def change(self, key: Hashable, state: Hashable) -> bool:
        before = self._last.get(key, self._normal)
        if state == self._normal:
            self._last.pop(key, None)
        else:
            self._last[key] = state
        return before != state

    def state(self, key: Hashable) -> Hashable:
        return self._last.get(key, self._normal)
