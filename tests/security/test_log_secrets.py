"""Finding 9: a webhook URL (its path and query may hold a secret) never reaches the logs;
the push is logged with the host only. The same class: the HTTP client libraries' own
request lines, and the database URL printed at start-up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from e2e.conftest import start_platform
from smsrelay.cli.serve import quiet_client_loggers
from smsrelay.config import mask_url
from webhooks.conftest import MANUAL, Receiver, ack_all
from webhooks.test_push import hooked, run_once, sent_and_final

SECRET = "s3cr3t-in-query"
DELIVERED = "79001230001"


@pytest.fixture
def quiet() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    levels = [lg.level for lg in loggers]
    quiet_client_loggers(logging.INFO)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


async def test_a_push_logs_the_host_and_never_the_url(
    quiet: None, tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything logged at INFO while a push goes to ``/hook?key=SECRET``: no secret, no
    path; one structured line with the host."""
    caplog.set_level(logging.INFO)
    receiver.handler = ack_all
    async for p in start_platform(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, **MANUAL):
        await hooked(p, "dave", receiver.url(f"/hook/{SECRET}?key={SECRET}"))
        await sent_and_final(p, "dave", DELIVERED)
        with structlog.testing.capture_logs() as events:
            assert 1 == await run_once(p)
    assert 1 == len(receiver.pushes)
    assert SECRET not in caplog.text
    assert SECRET not in repr(events)
    pushed = [e for e in events if e["event"] == "webhook_pushed"]
    assert 1 == len(pushed), events
    assert "127.0.0.1" == pushed[0]["host"]


def test_database_urls_are_shown_without_their_password() -> None:
    assert "postgresql://app:***@db:5432/x" == mask_url("postgresql://app:pw@db:5432/x")
