"""Authentication: argon2 runs once per password, concurrent requests share one check."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from smsrelay.clock import FakeClock
from smsrelay.domain.accounts import Account, Lang
from smsrelay.domain.errors import DocumentError
from smsrelay.domain.money import Money
from smsrelay.services import auth as auth_module
from smsrelay.services.auth import Authenticator, hash_password
from smsrelay.services.commands import Credentials
from smsrelay.services.ports import AccountRecord

ACCOUNT = Account(id=1, login="ann", lang=Lang.RU, locked=False, any_sender=True, balance=Money(0))


class Accounts:
    """A one-account store port that counts lookups."""

    def __init__(self, password: str) -> None:
        self.record = AccountRecord(ACCOUNT, hash_password(password), "tok")
        self.lookups = 0

    async def find_by_login(self, login: str) -> AccountRecord | None:
        self.lookups += 1
        await asyncio.sleep(0)
        return self.record if login == "ann" else None

    async def find_by_token(self, token: str) -> AccountRecord | None:
        self.lookups += 1
        return self.record if token == "tok" else None


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = auth_module.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(auth_module, "verify_password", counting)
    return calls


async def test_concurrent_requests_share_one_check(verifications: list[str]) -> None:
    """Fifty simultaneous requests with the same credentials cost one argon2 check."""
    store: Any = Accounts("pw")
    auth = Authenticator(store, FakeClock(), ttl=1.0)
    creds = Credentials(login="ann", password="pw")
    accounts = await asyncio.gather(*(auth.authenticate(creds) for _ in range(50)))
    assert {ACCOUNT} == set(accounts)
    assert 1 == len(verifications)
    assert 1 == store.lookups


async def test_expired_snapshot_rereads_account_but_not_argon2(verifications: list[str]) -> None:
    """After the 1 s snapshot expires the row is read again; the hash is not recomputed."""
    store: Any = Accounts("pw")
    clock = FakeClock()
    auth = Authenticator(store, clock, ttl=1.0)
    creds = Credentials(login="ann", password="pw")
    await auth.authenticate(creds)
    clock.advance(2)
    await auth.authenticate(creds)
    assert (1, 2) == (len(verifications), store.lookups)


async def test_changed_password_hash_is_checked_again(verifications: list[str]) -> None:
    """If the stored hash changed (password reset) the old password no longer works."""
    store: Any = Accounts("pw")
    clock = FakeClock()
    auth = Authenticator(store, clock, ttl=1.0)
    await auth.authenticate(Credentials(login="ann", password="pw"))
    store.record = AccountRecord(ACCOUNT, hash_password("new"), "tok")
    clock.advance(2)
    with pytest.raises(DocumentError):
        await auth.authenticate(Credentials(login="ann", password="pw"))


async def test_wrong_password_and_unknown_login_are_refused(verifications: list[str]) -> None:
    """Bad credentials raise the document error; concurrent waiters get it too."""
    store: Any = Accounts("pw")
    auth = Authenticator(store, FakeClock())
    results = await asyncio.gather(
        *(auth.authenticate(Credentials(login="ann", password="bad")) for _ in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, DocumentError) for r in results)
    with pytest.raises(DocumentError):
        await auth.authenticate(Credentials(login="nobody", password="pw"))
    assert ACCOUNT == await auth.authenticate(Credentials(token="tok"))
