"""Logs: one pipeline (ours and the libraries'), no secret at any level, the per-message trail,
and lasting conditions logged once per change of state, not per message or retry."""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from smsrelay.logs import StateLog, configure_logging, mask_phone, redact, scrub

from .serving import Process, serving
from .test_cli import smsrelay

PHONE = "79001234567"
DEADLINE = 60.0


@contextmanager
def hook_server(failures: int) -> Iterator[list[str]]:
    """A webhook receiver answering 500 to the first ``failures`` POSTs, then 200 ``[]``."""
    seen: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(self.path)
            code = 500 if len(seen) <= failures else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        seen.append(f"port:{server.server_address[1]}")
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def _events(server: Process) -> list[dict[str, Any]]:
    """Every stderr line of a --log-format json server, parsed (each must be JSON)."""
    return [json.loads(line) for line in server.stderr if line.strip()]


def _until(check: Any, what: str) -> None:
    """Poll a condition on a real process with a deadline (the process owns the time)."""
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_full_run_at_debug_level_writes_no_secret(tmp_path: Path) -> None:
    """API calls with password and token (JSON and GET dialects), receipts, a failing then
    working webhook with a key in its query, all at debug level in JSON: every log line parses,
    the trail shows accepted/submitted/final, and no line holds the password, the token, the
    message text, the webhook's key or signing secret, or the whole phone number."""
    password, token = f"Pw-{secrets.token_hex(6)}", f"tok{secrets.token_hex(10)}"
    text, hook_key, signing = f"Hello {secrets.token_hex(6)}", secrets.token_hex(8), "SIGN-x9"
    db = "sqlite:///var/smsrelay.db"
    smsrelay("migrate", cwd=tmp_path, db=db)
    smsrelay("account", "create", "acme", "--password", password, "--token", token,
             "--balance", "100", "--any-sender", cwd=tmp_path, db=db)  # fmt: skip
    smsrelay("price", "set", "7", "1", "--area", "Russia", cwd=tmp_path, db=db)
    with hook_server(failures=3) as posts:
        port = posts.pop(0).split(":")[1]
        hook = f"http://127.0.0.1:{port}/hook?key={hook_key}"
        local = {**os.environ, "SMSRELAY_WEBHOOK_ALLOW_PRIVATE": "1"}  # a loopback receiver
        smsrelay("webhook", "set", "acme", hook, "--secret", signing, cwd=tmp_path, db=db,
                 env=local)  # fmt: skip
        env = {
            "SMSRELAY_WEBHOOK_ALLOW_PRIVATE": "1",
            "SMSRELAY_LOG_LEVEL": "debug",
            "SMSRELAY_LOG_FORMAT": "json",
            "SMSRELAY_WEBHOOK_BACKOFF_SECONDS": "0.05",
            "SMSRELAY_WEBHOOK_POLL_INTERVAL": "0.1",
        }
        with serving(["--port", "0", "--simulator-port", "0"], tmp_path, **env) as server:
            ids = []
            with httpx.Client(base_url=server.url, timeout=30) as http:
                for creds in ({"login": "acme", "password": password}, {"token": token}):
                    body = {**creds, "message": [{"type_send_1": "sms", "sender": "Shop",
                            "text": text, "phones": [{"phone": PHONE}]}]}  # fmt: skip
                    ids.append(http.post("/json", json=body).json()["information"][0]["id_sms"])
                got = http.get("/sendsms.php", params={"user": "acme", "pwd": password,
                               "sadr": "Shop", "dadr": PHONE, "text": text})  # fmt: skip
                assert 200 == got.status_code
                _until(lambda: len(posts) >= 5, "the webhook to fail, then work")
                _until(
                    lambda: sum(e["event"] == "message_final" for e in _events(server)) >= 3,
                    "three final statuses",
                )
    output = server.output
    for secret in (password, token, text, hook_key, signing, PHONE):
        assert secret not in output, secret
    events = _events(server)
    names = [e["event"] for e in events]
    assert {"message_accepted", "message_submitted", "message_final"} <= set(names)
    submitted = [e for e in events if e["event"] == "message_submitted"]
    assert all(e["carrier_ids"] for e in submitted)
    assert [mask_phone(PHONE)] == list({e["phone"] for e in events if "phone" in e})
    assert 1 == names.count("webhook_failing")  # three failed POSTs: one line
    assert names.count("webhook_still_failing") >= 1
    assert 1 == names.count("webhook_recovered")
    loggers = {e.get("logger") for e in events}
    assert {"alembic.runtime.migration", "smsrelay.trail"} <= loggers  # one pipeline


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_link_that_cannot_bind_is_logged_once(tmp_path: Path) -> None:
    """A carrier that refuses connections: the link failure and the delivery waiting for a bound
    connector are each written once (warning), however many retries and messages follow."""
    smsrelay("migrate", cwd=tmp_path)
    smsrelay("account", "create", "acme", "--password", "pw", "--token", "t-1",
             "--balance", "100", "--any-sender", cwd=tmp_path)  # fmt: skip
    smsrelay("price", "set", "7", "1", "--area", "Russia", cwd=tmp_path)
    args = ["--port", "0", "--no-simulator", "--smpp-host", "127.0.0.1"]
    args += ["--smpp-port", str(_closed_port()), "--log-format", "json", "--log-level", "debug"]
    with serving(args, tmp_path) as server, httpx.Client(base_url=server.url) as http:
        for _ in range(3):
            body = {"token": "t-1", "message": [{"type_send_1": "sms", "sender": "Shop",
                    "text": "hi", "phones": [{"phone": PHONE}]}]}  # fmt: skip
            assert "id_sms" in http.post("/json", json=body).json()["information"][0]

        def repeated() -> bool:
            names = [e["event"] for e in _events(server)]
            return names.count("smpp_link_still_failing") >= 3

        _until(repeated, "several link retries")
    names = [e["event"] for e in _events(server)]
    assert 1 == names.count("smpp_link_failed")
    assert 1 == names.count("delivery_waiting")
    assert 0 == names.count("delivery_resumed")


def test_state_log_writes_changes_only() -> None:
    """A key's normal state is not a change; each new state is, once; back to normal is."""
    states = StateLog()
    changes = [states.change("a", s) for s in ("ok", "down", "down", "refused", "ok", "ok")]
    assert [False, True, False, True, True, False] == changes


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("password", "s3cret", "***"),
        ("token", "abc", "***"),
        ("text", "Your code 1234", "***"),
        ("phone", "79001234567", "7900*****67"),
        ("url", "http://h/hook?key=k1&x=2", "http://h/hook?***"),
        ("error", "to postgresql://u:pw@db/x failed", "to postgresql://u:***@db/x failed"),
        ("error", "bad psw=hunter2 given", "bad psw=*** given"),
        ("connector", "mts", "mts"),
    ],
)  # fmt: skip
def test_redact_masks_every_kind_of_secret(field: str, value: str, shown: str) -> None:
    """The processor under every event: secret fields, phones, URL queries and passwords."""
    assert shown == redact(None, "info", {field: value})[field]
    assert "a ***" == scrub("a ***")


def test_library_records_go_through_the_same_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    """A stdlib record (as httpx writes one) is rendered by structlog, its URL query masked."""
    import logging
    import sys

    configure_logging("info", "json", stream=sys.stderr)
    try:
        logging.getLogger("httpx").info('HTTP Request: POST http://h/x?token=abc "200 OK"')
        structlog.get_logger("smsrelay.test").info("ours", password="pw")
    finally:
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert ["httpx", "smsrelay.test"] == [line["logger"] for line in lines]
    assert "abc" not in lines[0]["event"] and "***" == lines[1]["password"]
