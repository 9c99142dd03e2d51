"""The whole platform over HTTP (tests/e2e), with helpers that await a condition."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from e2e.conftest import Platform, start_platform

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], within: float = 10.0
) -> T:
    """Ask ``probe`` until ``ok`` holds (no blind sleep: it polls the real answer)."""
    async with asyncio.timeout(within):
        while True:
            value = await probe()
            if ok(value):
                return value
            await asyncio.sleep(0.05)


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p
