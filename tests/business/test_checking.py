"""C1/C2 number-base checking over real HTTP: Bearer token, multipart bodies, the simulated
checker's deterministic answers, the charge per number to the micro-unit, waittopay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from e2e.conftest import Platform, start_platform
from smsrelay.domain.money import Money
from smsrelay.services.checking import CheckKind, CheckResult, simulated_result


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(database_url, tmp_path):
        yield p


async def post(
    platform: Platform,
    path: str,
    token: str,
    data: dict[str, Any],
    files: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    r = await platform.http.post(
        path,
        data=data,
        files=files or {"_": ("", b"")},
        headers={"Authorization": f"Bearer {token}"},
    )
    return r.status_code, r.json()


async def ledger(platform: Platform, login: str) -> list[tuple[str, int]]:
    async with platform.runtime.stores.db.read() as conn:
        rows = await conn.execute(
            text(
                "SELECT kind, amount_micros FROM ledger JOIN accounts a ON a.id = account_id"
                " WHERE a.login = :l ORDER BY ledger.id"
            ),
            {"l": login},
        )
        return [(k, int(m)) for k, m in rows]


def test_the_simulated_checker_is_deterministic() -> None:
    assert CheckResult.INVALID == simulated_result(CheckKind.WHATSAPP, "79001230000")
    assert CheckResult.NOT_REGISTERED == simulated_result(CheckKind.WHATSAPP, "79001234503")
    assert CheckResult.REGISTERED == simulated_result(CheckKind.VIBER, "79001234503")
    assert CheckResult.NOT_REGISTERED == simulated_result(CheckKind.VIBER, "79001234502")


async def test_create_charge_status_and_results(platform: Platform) -> None:
    creds = await platform.account("alice", balance="1")
    token = creds["token"]
    status, answer = await post(
        platform,
        "/api/checking/create",
        token,
        {"type": "WA_cheking", "name": "base 1", "phones": "+7 900 123-45-03\n79001230000\n"},
        files={"phones_file": ("base.txt", b"79001234501\n79001234503\nnonsense\n")},
    )
    assert 200 == status, answer
    job = answer["data"]
    assert (True, "new", 3, "0.15") == (
        answer["success"],
        job["status"],
        job["total_phones"],
        job["price"],
    )
    assert [("topup", 1_000_000), ("checking", -150_000)] == await ledger(platform, "alice")
    status, answer = await post(
        platform, "/api/checking/get-status", token, {"ids": f"{job['id']},999999"}
    )
    assert [(job["id"], "complete", 3)] == [
        (d["id"], d["status"], d["total_phones"]) for d in answer["data"]
    ]
    status, answer = await post(platform, "/api/checking/get-results", token, {"id": job["id"]})
    assert [
        {"phone": "79001230000", "result": "invalid"},
        {"phone": "79001234501", "result": "registered"},
        {"phone": "79001234503", "result": "not_registered"},
    ] == answer["data"]["results"]
    assert "0.85" == (await platform.balance("alice"))["money"]


async def test_waittopay_until_topped_up_and_charged_once(platform: Platform) -> None:
    creds = await platform.account("bob", balance="0.05")
    token = creds["token"]
    phones = "\n".join(f"7900123450{n}" for n in range(2))
    _, answer = await post(
        platform, "/api/checking/create", token, {"type": "Viber_cheking", "phones": phones}
    )
    job = answer["data"]
    assert ("waittopay", "0.1") == (job["status"], job["price"])
    _, again = await post(platform, "/api/checking/get-status", token, {"ids": job["id"]})
    assert "waittopay" == again["data"][0]["status"]
    await platform.runtime.admin.topup("bob", Money.parse("1"))
    for _ in range(2):
        _, again = await post(platform, "/api/checking/get-status", token, {"ids": job["id"]})
        assert "complete" == again["data"][0]["status"]
    assert -100_000 == sum(m for k, m in await ledger(platform, "bob") if k == "checking")


async def test_refusals(platform: Platform) -> None:
    creds = await platform.account("carol", balance="1")
    status, answer = await post(platform, "/api/checking/create", "wrong", {"type": "WA_cheking"})
    assert (401, "Unauthorized") == (status, answer["name"])
    for data in ({"type": "SMS_cheking", "phones": "79001234567"}, {"type": "WA_cheking"}):
        status, answer = await post(platform, "/api/checking/create", creds["token"], data)
        assert (400, "Bad Request") == (status, answer["name"])
        assert answer["message"].startswith("Wrong data")
    status, answer = await post(platform, "/api/checking/get-status", creds["token"], {"ids": "x"})
    assert 400 == status
