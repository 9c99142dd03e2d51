"""Typed settings, validated once at start-up. The only module that reads the environment.

Every key can be set as ``SMSRELAY_<KEY>`` (upper case) and most from the CLI; an invalid value
fails at start naming the key.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["ConfigError", "Settings", "load_settings"]

DEFAULT_DATABASE_URL = "sqlite:///var/smsrelay.db"


class ConfigError(ValueError):
    """A setting has an invalid value."""


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
    # delivery engine
    engine: bool = True
    claim_batch: int = 400
    max_in_flight: int = 2000  # messages being submitted at once (all connectors)
    lease_seconds: float = 300.0
    poll_interval: float = 0.25
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
    webhook_deny: str = "169.254.0.0/16,fe80::/10,169.254.169.254/32,fd00:ec2::254/128"
    # Viber (docs/viber.md): the provider's HTTP API (the built-in simulator unless viber_url)
    viber: bool = True  # run the Viber dispatcher in this process (with the engine)
    viber_url: str = ""  # provider base URL; "" = the built-in Viber simulator
    viber_token: str = "smsrelay"  # bearer token for sends, HMAC key of status callbacks
    viber_callback_url: str = ""  # our callback URL as the provider sees it; "" = from host/port
    viber_simulator_port: int = 0  # 0 = any free port (the dispatcher is told which)
    viber_simulator_callback_delay: float = 0.5
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
        _check(1 <= self.max_parts <= 255, "max_parts", "must be 1..255")
        _check(self.default_validity_hours > 0, "default_validity_hours", "must be positive")
        _check(self.claim_batch > 0, "claim_batch", "must be positive")
        _check(self.smpp_window > 0, "smpp_window", "must be positive")
        _check(self.smpp_binds > 0, "smpp_binds", "must be positive")
        _check(
            self.sqlite_synchronous.upper() in ("OFF", "NORMAL", "FULL", "EXTRA"),
            "sqlite_synchronous",
            "must be OFF, NORMAL, FULL or EXTRA",
        )
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
        raise ConfigError(f"setting {key} ({'SMSRELAY_' + key.upper()}): {why}")


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


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then ``SMSRELAY_*`` environment variables, then explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = env.get("SMSRELAY_" + f.name.upper())
        if raw is not None:
            values[f.name] = _coerce(f.name, raw, f.type)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
