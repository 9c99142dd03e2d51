"""Typed settings, validated once at start-up. The only module that reads the environment.

Every key can be set as ``SMSRELAY_<KEY>`` (upper case) and most from the CLI; an invalid value
fails at start naming the key.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .config_file import read_config_file

__all__ = [
    "ConfigError",
    "Settings",
    "demo_account_path",
    "effective_settings",
    "load_settings",
    "mask_url",
    "sqlite_path",
]

DEFAULT_DATABASE_URL = "sqlite:///var/smsrelay.db"


class ConfigError(ValueError):
    """A setting has an invalid value (``key`` names it when one setting is at fault)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = "var"
    # spec §1.4: "200" answers every well-formed body with 200; "400" uses 400 for document errors
    error_status: str = "200"
    default_lang: str = "ru"
    max_parts: int = 10  # a text needing more parts is refused (no silent truncation)
    default_validity_hours: int = 72  # "maximum lifetime" when a client gives none
    max_body_bytes: int = 8 * 1024 * 1024
    auth_cache_seconds: float = 1.0
    # `serve` processes on this machine (docs/scaling.md): one full node and workers-1 HTTP-only
    # processes on the same port; 0 = one per CPU core this process may use
    workers: int = 0
    # delivery engine
    engine: bool = True
    claim_batch: int = 400
    max_in_flight: int = 2000  # messages being submitted at once (all connectors)
    lease_seconds: float = 15.0  # renewed every third of it while a process lives
    poll_interval: float = 0.25
    # several nodes on one database (docs/scaling.md): connectors are owned by lease
    node_id: str = ""  # "" = host:pid:random
    connector_lease_seconds: float = 10.0  # renewed every quarter of it; a crash frees it after
    # the built-in carrier simulator
    simulator: bool = True
    simulator_host: str = "127.0.0.1"
    simulator_port: int = 2776  # 2775 is the customer SMPP server's
    simulator_receipt_delay: float = 0.5
    simulator_system_id: str = "smsrelay"
    simulator_password: str = "smsrelay"
    simulator_mo_echo: bool = False  # a submit to ...9008 is answered by an MO "STOP"
    # the default SMPP link (to the simulator unless configured otherwise)
    smpp_host: str = ""
    smpp_port: int = 0
    smpp_system_id: str = ""
    smpp_password: str = ""
    smpp_window: int = 100
    smpp_binds: int = 1
    sqlite_synchronous: str = "FULL"
    log_level: str = "info"
    log_format: str = "console"  # console | json (one pipeline for every library: smsrelay.logs)
    log_message_trail: bool = True  # INFO lines per message: accepted, submitted, final
    demo: bool = False  # create the funded demo account and demo prices (`serve --demo`)
    # a missing SQLite file is created (serve, migrate) or refused (every other CLI command)
    create_database: bool = True
    # status webhooks (J3/X3): the pusher, its retries, and the SSRF guard's address lists
    webhook_pusher: bool = True  # run the push loop in this process
    webhook_attempts: int = 5  # spec J3/X3: "5 attempts" in total
    webhook_backoff_seconds: float = 30.0  # first retry delay, doubled per attempt
    webhook_timeout: float = 10.0  # per POST (connect, send, answer)
    webhook_batch: int = 100  # statuses per POST
    webhook_concurrency: int = 32  # POSTs in flight, all accounts
    webhook_account_concurrency: int = 2  # POSTs in flight per account
    webhook_poll_interval: float = 1.0
    webhook_allow: str = ""  # CIDRs, comma-separated; empty = every address not denied
    # loopback, private, link-local and other non-global addresses are refused unless this is
    # set (tests, receivers on this host or the LAN) or webhook_allow lists them
    webhook_allow_private: bool = False
    webhook_deny: str = "169.254.0.0/16,fe80::/10,169.254.169.254/32,fd00:ec2::254/128"
    # Viber (docs/viber.md): the provider's HTTP API (the built-in simulator unless viber_url)
    viber: bool = True  # run the Viber dispatcher in this process (with the engine)
    viber_url: str = ""  # provider base URL; "" = the built-in Viber simulator
    viber_token: str = "smsrelay"  # bearer token for sends, HMAC key of status callbacks
    viber_callback_url: str = ""  # our callback URL as the provider sees it; "" = from host/port
    viber_simulator_port: int = 0  # 0 = any free port (the dispatcher is told which)
    viber_simulator_callback_delay: float = 0.5
    # operations (docs/operations.md): /metrics, receipts overdue and query_sm
    metrics: bool = True  # count for /metrics (prometheus-client)
    metrics_dir: str = ""  # several processes: the run's shared multiprocess directory
    receipt_query_after: float = 3600.0  # seconds without receipt: overdue (query_sm if allowed)
    smpp_query_sm: bool = False  # the default link may ask the carrier with query_sm
    # security limits (docs/security.md): failed logins per login / per client address per window
    login_account_failures: int = 10
    login_address_failures: int = 50
    login_window_seconds: float = 300.0
    # HTTP connections (api/http_limits.py): seconds to send the headers, then the body; idle
    # seconds between requests; open connections at most
    http_header_timeout: float = 10.0
    http_body_timeout: float = 60.0
    http_keepalive_timeout: float = 5.0
    http_max_connections: int = 1000
    # self-service input: G5 registrations per client address per window; X19 per account
    registrations_per_address: int = 10
    registration_window_seconds: float = 3600.0
    upload_max_files: int = 200  # stored X19 files per account
    upload_max_total_bytes: int = 200 * 1024 * 1024  # their total size per account
    # the customer SMPP server (docs/smpp-server.md): customers bind here like to a carrier
    smpp_server: bool = True
    smpp_server_host: str = "127.0.0.1"
    smpp_server_port: int = 2775  # 0 = any free port
    smpp_server_window: int = 10  # deliver_sm awaiting deliver_sm_resp, per bind
    smpp_server_idle_timeout: float = 120.0  # seconds without a PDU before a bind is closed
    smpp_server_outbox_expiry_hours: float = 72.0  # receipts and MO kept for absent customers
    smpp_server_max_connections: int = 1000
    smpp_server_part_timeout: float = 60.0  # an incomplete long message is dropped after this
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self.error_status in ("200", "400"), "error_status", "must be 200 or 400")
        _check(self.default_lang in ("ru", "en"), "default_lang", "must be ru or en")
        _check(0 < self.port < 65536 or self.port == 0, "port", "must be a TCP port")
        _check(0 <= self.workers <= 256, "workers", "must be 0..256 (0: one per CPU core)")
        _check(1 <= self.max_parts <= 255, "max_parts", "must be 1..255")
        _check(self.default_validity_hours > 0, "default_validity_hours", "must be positive")
        _check(self.claim_batch > 0, "claim_batch", "must be positive")
        _check(self.lease_seconds > 0, "lease_seconds", "must be positive")
        _check(
            0 < self.connector_lease_seconds <= 60,
            "connector_lease_seconds",
            "must be in (0, 60]",
        )
        _check(self.smpp_window > 0, "smpp_window", "must be positive")
        _check(self.smpp_binds > 0, "smpp_binds", "must be positive")
        _check(
            self.sqlite_synchronous.upper() in ("OFF", "NORMAL", "FULL", "EXTRA"),
            "sqlite_synchronous",
            "must be OFF, NORMAL, FULL or EXTRA",
        )
        _check(
            self.log_level.lower() in ("debug", "info", "warning", "error", "critical"),
            "log_level",
            "must be debug, info, warning, error or critical",
        )
        _check(self.log_format in ("console", "json"), "log_format", "must be console or json")
        _check(1 <= self.webhook_attempts <= 100, "webhook_attempts", "must be 1..100")
        _check(self.webhook_backoff_seconds >= 0, "webhook_backoff_seconds", "must be >= 0")
        _check(self.webhook_timeout > 0, "webhook_timeout", "must be positive")
        _check(1 <= self.webhook_batch <= 10_000, "webhook_batch", "must be 1..10000")
        _check(self.webhook_concurrency > 0, "webhook_concurrency", "must be positive")
        _check(
            self.webhook_account_concurrency > 0, "webhook_account_concurrency", "must be positive"
        )
        for key in ("webhook_allow", "webhook_deny"):
            _check(_cidrs_ok(getattr(self, key)), key, "must be comma-separated CIDRs")
        _check(
            self.viber_url == "" or self.viber_url.startswith(("http://", "https://")),
            "viber_url",
            "must be an http(s) URL",
        )
        _check(0 <= self.viber_simulator_port < 65536, "viber_simulator_port", "must be a TCP port")
        _check(
            self.viber_simulator_callback_delay >= 0,
            "viber_simulator_callback_delay",
            "must be >= 0",
        )
        _check(self.receipt_query_after > 0, "receipt_query_after", "must be positive")
        for key in (
            "login_account_failures",
            "login_address_failures",
        ):
            _check(getattr(self, key) >= 1, key, "must be positive")
        _check(self.login_window_seconds > 0, "login_window_seconds", "must be positive")
        for key in ("http_header_timeout", "http_body_timeout", "http_keepalive_timeout"):
            _check(getattr(self, key) > 0, key, "must be positive")
        _check(self.http_max_connections >= 1, "http_max_connections", "must be positive")
        for key in ("registrations_per_address", "upload_max_files", "upload_max_total_bytes"):
            _check(getattr(self, key) >= 1, key, "must be positive")
        _check(
            self.registration_window_seconds > 0, "registration_window_seconds", "must be positive"
        )
        _check(0 <= self.smpp_server_port < 65536, "smpp_server_port", "must be a TCP port")
        _check(1 <= self.smpp_server_window <= 1000, "smpp_server_window", "must be 1..1000")
        _check(self.smpp_server_idle_timeout > 0, "smpp_server_idle_timeout", "must be positive")
        _check(
            self.smpp_server_outbox_expiry_hours > 0,
            "smpp_server_outbox_expiry_hours",
            "must be positive",
        )
        _check(
            self.smpp_server_max_connections > 0, "smpp_server_max_connections", "must be positive"
        )
        _check(self.smpp_server_part_timeout > 0, "smpp_server_part_timeout", "must be positive")
        _check(
            self.database_url.startswith(("sqlite", "postgres")),
            "database_url",
            "must be sqlite:///… or postgresql://…",
        )

    def worker_count(self) -> int:
        """How many ``serve`` processes: ``workers``, or one per CPU core this process may
        run on (its affinity: a container's CPU set) when 0."""
        if self.workers:
            return self.workers
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except (AttributeError, OSError):  # not Linux
            return max(1, os.cpu_count() or 1)

    def with_overrides(self, **values: Any) -> Settings:
        clean = {k: v for k, v in values.items() if v is not None}
        return replace(self, **clean)


def _cidrs_ok(text: str) -> bool:
    try:
        for item in text.split(","):
            if item.strip():
                ipaddress.ip_network(item.strip(), strict=False)
    except ValueError:
        return False
    return True


def _check(ok: bool, key: str, why: str) -> None:
    if not ok:
        raise ConfigError(f"setting {key} ({'SMSRELAY_' + key.upper()}): {why}", key)


def _coerce(key: str, raw: str, kind: Any) -> Any:
    try:
        if kind in (bool, "bool"):
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"setting {key} (SMSRELAY_{key.upper()}): bad value {raw!r}") from exc
    return raw


def load_settings(
    environ: Mapping[str, str] | None = None, *, config_path: str | None = None, **overrides: Any
) -> Settings:
    """Defaults, then the config file, then ``SMSRELAY_*`` environment variables, then explicit
    overrides (the command line)."""
    return effective_settings(environ, config_path=config_path, **overrides)[0]


def effective_settings(
    environ: Mapping[str, str] | None = None, *, config_path: str | None = None, **overrides: Any
) -> tuple[Settings, dict[str, str]]:
    """:func:`load_settings` and where each value that is not a default came from.

    The config file is ``config_path``, else ``SMSRELAY_CONFIG`` (none: no file)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = config_path or env.get("SMSRELAY_CONFIG") or None
    if path:
        try:
            values.update(read_config_file(path, fields(Settings)))
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        sources.update(dict.fromkeys(values, f"file {path}"))
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = env.get("SMSRELAY_" + f.name.upper())
        if raw is not None:
            values[f.name] = _coerce(f.name, raw, f.type)
            sources[f.name] = "environment SMSRELAY_" + f.name.upper()
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    sources.update(dict.fromkeys(given, "command line"))
    try:
        return Settings(**values), sources
    except ConfigError as exc:
        if exc.key in sources:
            raise ConfigError(f"{exc}, given by {sources[exc.key]}", exc.key) from exc
        raise


_PASSWORD_IN_QUERY = re.compile(r"((?:^|[?&])password=)[^&]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """``url`` with its password (in the authority or a ``password=`` query item) as ``***``:
    the only form in which a database URL is ever shown (output, logs, errors)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    path_start = rest.find("/", rest.rfind("@") + 1)
    authority = rest[:path_start] if path_start >= 0 else rest
    creds, at, host = authority.rpartition("@")
    if at and ":" in creds:
        authority = f"{creds.split(':', 1)[0]}:***@{host}"
    tail = _PASSWORD_IN_QUERY.sub(r"\1***", rest[path_start:]) if path_start >= 0 else ""
    return f"{scheme}://{authority}{tail}"


def sqlite_path(database_url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (relative to the working folder), None for others."""
    if not database_url.startswith("sqlite"):
        return None
    database = unquote(database_url.split("://", 1)[1]).split("?", 1)[0]
    return Path(database[1:] if database.startswith("/") else database)


def demo_account_path(database_url: str, data_dir: str) -> Path:
    """Where the demo account's credentials of this database are kept (mode 0600).

    A SQLite database keeps them next to its file (``var/smsrelay.db`` →
    ``var/smsrelay.db.demo-account.txt``); a PostgreSQL database in ``data_dir`` under a name
    made of its host, port and database. Each database has its own file: the demo of one is
    never written over another's."""
    parts = urlsplit(database_url)
    database = sqlite_path(database_url)
    if database is not None:
        return database.with_name(database.name + ".demo-account.txt")
    name = f"{parts.hostname or 'localhost'}-{parts.port or 5432}-{parts.path.strip('/') or 'db'}"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Path(data_dir) / f"demo-account-{safe}.txt"
