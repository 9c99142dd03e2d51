"""A route whose connectors are all unbound is logged once when that starts, not per message
(the repeats only at debug level), while other routes keep delivering."""

from __future__ import annotations

import asyncio

import structlog

from .test_integration import Env, env  # noqa: F401 - the two-SMSC platform fixture


async def test_a_route_without_a_bound_connector_is_logged_once(env: Env) -> None:  # noqa: F811
    """7… goes only to a, whose SMSC is gone; three messages to 7… wait for it (one warning,
    the others at debug), while 380… is delivered through b."""
    await env.connector("a", env.a)
    await env.connector("b", env.b)
    await env.admin.add_route("7", ["a"])
    await env.admin.add_route("380", ["b"])
    await env.apply()
    [link_a] = [c for c in env.p.runtime.connectors if c.name == "a"]
    await env.a.stop()
    async with asyncio.timeout(10):
        while link_a.ready:  # noqa: ASYNC110 - the link offers no "down" event
            await asyncio.sleep(0.01)
    engine = env.p.runtime.engine
    assert engine is not None
    retried = engine.stats["retried"]
    with structlog.testing.capture_logs() as logs:
        for n in range(3):
            await env.send("alice", f"7900123{n:04d}")
        async with asyncio.timeout(10):
            while engine.stats["retried"] < retried + 3:  # noqa: ASYNC110 - a counter, no event
                await asyncio.sleep(0.01)
        ua = await env.send("alice", "380501230001")
        await env.delivered(ua)
    events = [e["event"] for e in logs]
    assert 1 == events.count("route_unavailable")
    assert 2 == events.count("route_still_unavailable")
    [warning] = [e for e in logs if e["event"] == "route_unavailable"]
    assert (["a"], "warning") == (warning["connectors"], warning["log_level"])
