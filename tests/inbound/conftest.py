"""A whole platform (real database, simulator, engine, HTTP) for the incoming-SMS and
message-kind tests, plus helpers to register numbers, inject MOs and read X7."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.services.inbound import InboundService


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    """The whole platform on SQLite (the storage itself is tested on both databases in
    ``test_store.py``; the machine is shared, so HTTP scenarios run once)."""
    url = f"sqlite:///{tmp_path / 'smsrelay.db'}"
    async for p in start_platform(url, tmp_path, simulator_mo_echo=True):
        yield p


def inbound_of(platform: Platform) -> InboundService:
    service = platform.runtime.extras["inbound"]
    assert isinstance(service, InboundService)
    return service


async def mo(platform: Platform, source: str, destination: str, text: str) -> None:
    """The simulated carrier sends an MO over SMPP; return once it is stored."""
    assert platform.runtime.simulator is not None
    await platform.runtime.simulator.inject_mo(source, destination, text)
    await inbound_of(platform).flushed()


def x7_body(login: str, start: str, end: str | None = None) -> bytes:
    end_attr = f' end="{end}"' if end is not None else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><request>'
        f'<time start="{start}"{end_attr} />'
        f'<security><login value="{login}" /><password value="pw-{login}" /></security>'
        "</request>"
    ).encode()
