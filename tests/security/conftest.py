"""The whole platform on a SQLite file, served over real HTTP on port 0 (the e2e fixture).

The security suite checks the HTTP edge (parsers, throttles, limits), which does not depend on
the database kind, so it runs on SQLite only; the storage contract suites cover PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e.conftest import Platform, start_platform
from webhooks.conftest import receiver  # noqa: F401 - the webhook receiver fixture


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(f"sqlite:///{tmp_path / 'smsrelay.db'}", tmp_path):
        yield p
