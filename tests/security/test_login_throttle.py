"""Finding 3: failed logins are throttled per login and per client address in every dialect,
refused with the dialect's own credentials error without spending a hash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import Platform, start_platform
from smsrelay.api.literals import Dialect, document_error
from smsrelay.clock import FakeClock
from smsrelay.domain.accounts import Lang
from smsrelay.domain.errors import DocumentError, DocumentErrorCode
from smsrelay.services import auth as auth_module
from smsrelay.services.auth import Authenticator
from smsrelay.services.commands import Credentials
from smsrelay.services.login_throttle import (
    CLIENT_ADDRESS,
    AttemptLimiter,
    LoginThrottle,
    ThrottleSettings,
    address_key,
)

from .test_login_timing import Accounts


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = auth_module.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth_module, "verify_password", counting)
    return calls


def _auth(clock: FakeClock, **limits: Any) -> Authenticator:
    store: Any = Accounts()
    throttle = LoginThrottle(clock, ThrottleSettings(**limits))
    return Authenticator(store, clock, ttl=0.0, verified_ttl=0.0, throttle=throttle)


async def _refused(auth: Authenticator, login: str, password: str) -> bool:
    try:
        await auth.authenticate(Credentials(login=login, password=password))
    except DocumentError as exc:
        assert DocumentErrorCode.BAD_CREDENTIALS == exc.code
        return True
    return False


def test_limiter_window_slides_with_the_clock() -> None:
    clock = FakeClock()
    limiter = AttemptLimiter(clock, limit=2, window=10.0)
    limiter.record("k")
    clock.advance(5)
    limiter.record("k")
    assert limiter.blocked("k")
    clock.advance(5.01)  # the first attempt left the window
    assert not limiter.blocked("k")
    limiter.clear("k")
    assert not limiter.blocked("k")


def test_limiter_forgets_the_oldest_keys_past_its_bound() -> None:
    limiter = AttemptLimiter(FakeClock(), limit=1, window=10.0, max_keys=3)
    for key in "abcd":
        limiter.record(key)
    assert not limiter.blocked("a")
    assert limiter.blocked("d")


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("10.0.0.1", "10.0.0.1"),
        ("2001:db8::1", "2001:db8::/64"),
        ("2001:db8::ffff:1", "2001:db8::/64"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        (None, None),
    ],
)
def test_addresses_are_counted_per_host_or_ipv6_64(address: str | None, key: str | None) -> None:
    assert key == address_key(address)


async def test_failed_logins_lock_the_login_without_hashing(verifications: list[str]) -> None:
    """After the limit, even the right password is refused and no hash is computed; the
    window passing lifts it."""
    clock = FakeClock()
    auth = _auth(clock, account_failures=3, address_failures=100, window_seconds=60)
    for i in range(3):
        assert await _refused(auth, "ann", f"guess{i}")
    assert 3 == len(verifications)
    assert await _refused(auth, "ann", "right")
    assert await _refused(auth, "ANN", "right")  # case does not reset the count
    assert 3 == len(verifications)
    clock.advance(61)
    assert not await _refused(auth, "ann", "right")


async def test_failed_logins_per_address_across_logins(verifications: list[str]) -> None:
    """One address guessing many logins is stopped; another address is not."""
    clock = FakeClock()
    auth = _auth(clock, account_failures=100, address_failures=4, window_seconds=60)
    token = CLIENT_ADDRESS.set("192.0.2.7")
    try:
        for i in range(4):
            assert await _refused(auth, f"user{i}", "x")
        assert await _refused(auth, "ann", "right")
        assert await _refused_token(auth, "tok")  # tokens from that address too
        assert 4 == len(verifications)
    finally:
        CLIENT_ADDRESS.reset(token)
    token = CLIENT_ADDRESS.set("192.0.2.8")
    try:
        assert not await _refused(auth, "ann", "right")
    finally:
        CLIENT_ADDRESS.reset(token)


async def _refused_token(auth: Authenticator, value: str) -> bool:
    try:
        await auth.authenticate(Credentials(token=value))
    except DocumentError:
        return True
    return False


async def test_wrong_tokens_count_per_address() -> None:
    clock = FakeClock()
    auth = _auth(clock, account_failures=100, address_failures=3, window_seconds=60)
    token = CLIENT_ADDRESS.set("192.0.2.9")
    try:
        for i in range(3):
            assert await _refused_token(auth, f"wrong{i}")
        assert await _refused_token(auth, "tok")
    finally:
        CLIENT_ADDRESS.reset(token)


async def test_a_proven_password_survives_a_throttle_on_its_login(
    verifications: list[str],
) -> None:
    """A client that already proved its password keeps working while someone guesses."""
    clock = FakeClock()
    store: Any = Accounts()
    throttle = LoginThrottle(clock, ThrottleSettings(account_failures=2))
    auth = Authenticator(store, clock, ttl=0.0, verified_ttl=600.0, throttle=throttle)
    assert not await _refused(auth, "ann", "right")
    for i in range(5):
        assert await _refused(auth, "ann", f"guess{i}")
    assert not await _refused(auth, "ann", "right")
    assert 1 + 2 == len(verifications)


# --- every dialect over HTTP ---------------------------------------------------------------


@pytest.fixture
async def throttled(tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(
        f"sqlite:///{tmp_path / 'smsrelay.db'}",
        tmp_path,
        login_account_failures=3,
        login_address_failures=1000,
    ):
        yield p


async def test_every_dialect_answers_its_own_error_when_throttled(
    throttled: Platform, verifications: list[str]
) -> None:
    """Three wrong passwords in JSON lock the login in JSON, XML and GET alike: each answers
    its own credentials literal and no hash is spent on the right password."""
    await throttled.account("ivan")
    for i in range(3):
        r = await throttled.post_raw(
            "/json/balance.php", f'{{"login":"ivan","password":"bad{i}"}}'.encode()
        )
        assert 200 == r.status_code
    spent = len(verifications)
    assert 3 == spent
    bad = DocumentErrorCode.BAD_CREDENTIALS
    r = await throttled.post_raw("/json/balance.php", b'{"login":"ivan","password":"pw-ivan"}')
    assert {"error": document_error(bad, Dialect.JSON, Lang.RU)} == r.json()
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><request><security><login value="ivan"/>'
        '<password value="pw-ivan"/></security></request>'
    )
    r = await throttled.post_raw("/xml/balance.php", xml.encode(), {"Content-Type": "text/xml"})
    assert f"<error>{document_error(bad, Dialect.XML, Lang.RU)}</error>" in r.text
    r = await throttled.http.get("/sendsms.php", params={"user": "ivan", "pwd": "pw-ivan"})
    assert document_error(bad, Dialect.GET, Lang.RU) == r.text
    assert spent == len(verifications)
