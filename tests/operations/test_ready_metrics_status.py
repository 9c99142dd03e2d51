"""/health, /ready, /metrics and ``smsrelay status`` against a whole running platform."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
from typing import Any

import httpx
from markupsafe import escape

from e2e.conftest import Platform
from smsrelay.cli.operations import format_status
from smsrelay.services.routing import ConnectorSpec

from .conftest import eventually


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text, or None."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        key, value = line.rsplit(" ", 1)
        if "{" in key:
            metric, rest = key.split("{", 1)
            got = ",".join(sorted(rest.rstrip("}").split(",")))
        else:
            metric, got = key, ""
        if metric == name and got == want:
            return float(value)
    return None


async def _status_cli(base_url: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsrelay",
        "status",
        "--json",
        "--url",
        base_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SMSRELAY_DATABASE_URL": "sqlite:///unused.db"},
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    data: dict[str, Any] = json.loads(out)
    return data


async def test_health_ready_and_message_metrics(platform: Platform) -> None:
    """A healthy platform is ready; a delivered message shows in every counter."""
    health = await platform.http.get("/health")
    assert (200, "ok") == (health.status_code, health.json()["status"])
    ready = await eventually(lambda: platform.http.get("/ready"), lambda r: r.status_code == 200)
    assert {"database": True, "connector:simulator": True} == ready.json()["checks"]

    await platform.account("ann", any_sender=True)
    sent = await platform.send("ann", "79001234567")
    await platform.waiter.final([sent["id_sms"]])

    async def metrics() -> str:
        r = await platform.http.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        return r.text

    text = await eventually(
        metrics,
        lambda t: (
            _sample(t, "smsrelay_receipts_total", connector="simulator", stat="delivered") == 1.0
        ),
    )
    assert 1.0 == _sample(text, "smsrelay_messages_accepted_total", channel="sms", entry="json")
    assert 1.0 == _sample(text, "smsrelay_messages_final_total", status="delivered")
    assert 1.0 == _sample(
        text, "smsrelay_parts_submitted_total", connector="simulator", result="accepted"
    )
    assert 1.0 == _sample(text, "smsrelay_accept_to_submit_seconds_count")
    assert 1.0 == _sample(text, "smsrelay_submit_to_receipt_seconds_count")
    assert 1.0 == _sample(text, "smsrelay_connector_bound", connector="simulator", bind="0")
    assert 0.0 == _sample(text, "smsrelay_queue_messages", state="queued")
    assert 0.0 == _sample(text, "smsrelay_webhook_backlog")
    assert 0.0 == _sample(text, "smsrelay_receipts_overdue")
    ok = _sample(text, "smsrelay_http_requests_total", dialect="json", outcome="ok")
    assert ok is not None and ok >= 1.0


async def test_a_link_that_cannot_bind_shows_everywhere(platform: Platform) -> None:
    """A routed connector pointed at a closed port: /ready answers 503 naming it, /metrics
    has its bind at 0, ``smsrelay status`` shows the bind not bound with its error, and so
    does the console's Live page (escaped, in its row)."""
    await eventually(lambda: platform.http.get("/ready"), lambda r: r.status_code == 200)
    admin = platform.runtime.extras["routing_admin"]
    await admin.add_connector(
        ConnectorSpec("deadlink", "127.0.0.1", _closed_port(), "smsrelay", "smsrelay")
    )
    await admin.add_route("", ["deadlink"])
    await platform.runtime.extras["routing"].reload()

    ready = await eventually(lambda: platform.http.get("/ready"), lambda r: r.status_code == 503)
    assert {
        "status": "not ready",
        "reasons": ["connector deadlink has no bound bind"],
        "checks": {"database": True, "connector:deadlink": False},
    } == ready.json()

    text = (await platform.http.get("/metrics")).text
    assert 0.0 == _sample(text, "smsrelay_connector_bound", connector="deadlink", bind="0")

    status = await eventually(
        lambda: _status_cli(platform.base_url),
        lambda s: any(
            c["name"] == "deadlink" and c["binds"][0]["last_error"] for c in s["connectors"]
        ),
    )
    dead = next(c for c in status["connectors"] if c["name"] == "deadlink")
    assert dead["routed"] is True
    assert dead["binds"][0]["state"] != "bound"
    assert dead["binds"][0]["bound_since"] is None
    assert "not ready" == status["ready"]["status"]
    assert {"queued", "scheduled", "submitting", "submitted"} <= set(status["queue"])
    error = dead["binds"][0]["last_error"]

    await platform.runtime.extras["web_access"].create_operator("root", "op-root-password")
    page = await platform.http.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    r = await platform.http.post(
        "/admin/login",
        data={"login": "root", "password": "op-root-password", "csrf": csrf.group(1)},
    )
    assert 303 == r.status_code
    panel = await eventually(
        lambda: platform.http.get("/admin/live/panel"), lambda p: "deadlink" in p.text
    )
    row = panel.text[panel.text.index("<b>deadlink</b>") :]
    row = row[: row.index("</tr>", row.index("</tr>") + 1)]  # its row and the error line
    assert 'class="error-text"' in row
    assert str(escape(error)) in row  # as Jinja escapes it: quotes as &#39;


async def test_status_json_answers_loopback_only(platform: Platform) -> None:
    """The status names hosts and errors: a non-loopback client is refused (403)."""
    transport = httpx.ASGITransport(app=platform.runtime.app, client=("192.0.2.7", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        assert 403 == (await client.get("/status.json")).status_code
    answer = await platform.http.get("/status.json")
    assert 200 == answer.status_code
    table = format_status(answer.json())
    assert "simulator" in table and "bound" in table and "queue: scheduled 0" in table
