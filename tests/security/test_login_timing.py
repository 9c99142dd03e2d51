"""Finding 4: an unknown login costs the same argon2 check as a wrong password (it used to
answer in ~2 ms against ~120 ms: a login enumeration oracle)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from argon2 import extract_parameters

from smsrelay.clock import FakeClock
from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.errors import DocumentError
from smsrelay.domain.money import Money
from smsrelay.services import auth as auth_module
from smsrelay.services.auth import Authenticator, hash_password
from smsrelay.services.commands import Credentials
from smsrelay.services.ports import AccountRecord

ANN = Account(id=1, login="ann", lang=Lang.RU, locked=False, any_sender=True, balance=Money(0))


class Accounts:
    def __init__(self) -> None:
        self.record = AccountRecord(ANN, hash_password("right"), "tok")

    async def find_by_login(self, login: str) -> AccountRecord | None:
        return self.record if login == "ann" else None

    async def find_by_token(self, token: str) -> AccountRecord | None:
        return self.record if token == "tok" else None


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = auth_module.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth_module, "verify_password", counting)
    return calls


def _auth(clock: FakeClock, **_: Any) -> Authenticator:
    store: Any = Accounts()
    return Authenticator(store, clock, ttl=0.0, verified_ttl=0.0)


async def _refused(auth: Authenticator, login: str, password: str) -> bool:
    try:
        await auth.authenticate(Credentials(login=login, password=password))
    except DocumentError:
        return True
    return False


async def test_unknown_login_costs_one_hash_like_a_wrong_password(
    verifications: list[str],
) -> None:
    """Finding 4: both paths run argon2 once, with the same parameters."""
    auth = _auth(FakeClock())
    assert await _refused(auth, "nobody", "x")
    assert await _refused(auth, "ann", "x")
    assert 2 == len(verifications)
    unknown, known = verifications
    assert unknown != known
    assert extract_parameters(known) == extract_parameters(unknown)


async def test_unknown_login_takes_as_long_as_a_wrong_password() -> None:
    """Measured: the medians of both are within a factor of two (they were ~60x apart)."""
    auth = _auth(FakeClock())
    loop = asyncio.get_running_loop()

    async def median(login: str) -> float:
        times = []
        for _ in range(5):
            start = loop.time()
            await _refused(auth, login, "wrong")
            times.append(loop.time() - start)
        return sorted(times)[2]

    await _refused(auth, "nobody", "warm-up")  # the dummy hash is made once, lazily
    unknown, known = await median("nobody"), await median("ann")
    assert 0.5 < unknown / known < 2.0, (unknown, known)
