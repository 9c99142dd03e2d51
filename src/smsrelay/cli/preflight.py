"""Checks ``smsrelay serve`` makes before it starts anything: a second copy started by mistake
fails at once, naming the port and the setting to change, instead of half-starting."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import click

from ..config import Settings

__all__ = ["Listener", "check_ports_free", "listeners"]


@dataclass(frozen=True, slots=True)
class Listener:
    what: str
    host: str
    port: int
    key: str  # the setting (SMSRELAY_<KEY>)
    flag: str | None  # the command-line option, when there is one


def listeners(settings: Settings) -> list[Listener]:
    """Every fixed port this configuration listens on (port 0 = any free port: not checked)."""
    found = [Listener("HTTP API", settings.host, settings.port, "port", "--port")]
    if settings.smpp_server:
        found.append(
            Listener(
                "customer SMPP server",
                settings.smpp_server_host,
                settings.smpp_server_port,
                "smpp_server_port",
                "--smpp-server-port",
            )
        )
    if settings.simulator:
        found.append(
            Listener(
                "simulator SMSC",
                settings.simulator_host,
                settings.simulator_port,
                "simulator_port",
                "--simulator-port",
            )
        )
        if settings.engine and settings.viber and not settings.viber_url:
            found.append(
                Listener(
                    "Viber simulator",
                    settings.simulator_host,
                    settings.viber_simulator_port,
                    "viber_simulator_port",
                    None,
                )
            )
    return [listener for listener in found if listener.port != 0]


def check_ports_free(settings: Settings) -> None:
    """Raise one clear error for the first port that cannot be listened on."""
    seen: set[tuple[str, int]] = set()
    for listener in listeners(settings):
        if (listener.host, listener.port) in seen:
            raise click.ClickException(
                f"{listener.what} and another listener both want port {listener.port}: "
                f"{_how_to_change(listener)}"
            )
        seen.add((listener.host, listener.port))
        problem = _bind_problem(listener.host, listener.port)
        if problem:
            raise click.ClickException(
                f"cannot listen on {listener.host}:{listener.port} for the {listener.what} "
                f"({problem}; is smsrelay already running?): {_how_to_change(listener)}"
            )


def _how_to_change(listener: Listener) -> str:
    env = f"SMSRELAY_{listener.key.upper()}"
    via = f"{listener.flag} or {env}" if listener.flag else env
    return f"choose another with {via} (setting {listener.key})"


def _bind_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be bound now (None: it can), binding as the server will."""
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        return f"cannot resolve {host!r}: {exc.strerror}"
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
            try:
                sock.bind(address)
            except OSError as exc:
                return exc.strerror or str(exc)
    return None
