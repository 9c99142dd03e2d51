"""Finding 8: self-service input is bounded. G5 registrations (an argon2 hash each) are
limited per client address; X19 uploads per account in count and total size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e.conftest import Platform, start_platform
from get_dialect.test_registration_rules import EXAMPLE
from smsrelay.config import ConfigError, Settings

PAGE = "/ru/reg/registration.html"


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[Platform]:
    async for p in start_platform(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        tmp_path,
        registrations_per_address=3,
        upload_max_files=3,
        upload_max_total_bytes=1000,
    ):
        yield p


async def test_registrations_per_address_are_limited(limited: Platform) -> None:
    """Three well-formed registrations from one address are received; the fourth is refused
    with its own page item and creates nothing. Malformed forms do not count."""
    bad = await limited.http.get(PAGE, params={**EXAMPLE, "login": ""})
    assert 'class="login"' in bad.text
    for i in range(3):
        r = await limited.http.get(PAGE, params={**EXAMPLE, "login": f"user{i}"})
        assert 'id="received"' in r.text, r.text
    r = await limited.http.get(PAGE, params={**EXAMPLE, "login": "user3"})
    assert 'class="too_many"' in r.text and 'id="received"' not in r.text
    listed = await limited.runtime.extras["registration"].list_accounts()
    assert {"user0", "user1", "user2"} == {a.login for a in listed if a.businessman}


async def _upload(p: Platform, token: str, content: bytes) -> str:
    files = {"file": ("doc.pdf", content, "application/pdf")}
    r = await p.http.post("/xml/file.php", data={"token": token}, files=files)
    assert 200 == r.status_code
    return r.text


async def test_uploads_are_limited_per_account_in_count_and_size(limited: Platform) -> None:
    """Over the quota X19 answers its failure literal; another account has its own quota."""
    shop = await limited.account("shop")
    other = await limited.account("other")
    assert (await _upload(limited, shop["token"], b"x" * 600)).isdigit()
    assert "-Failed to copy file" == await _upload(limited, shop["token"], b"y" * 401)  # size
    assert (await _upload(limited, shop["token"], b"y" * 200)).isdigit()
    assert (await _upload(limited, shop["token"], b"z")).isdigit()
    assert "-Failed to copy file" == await _upload(limited, shop["token"], b"w")  # count
    assert (await _upload(limited, other["token"], b"o" * 900)).isdigit()


def test_limits_are_validated_naming_the_key() -> None:
    for key in ("registrations_per_address", "upload_max_files", "upload_max_total_bytes"):
        with pytest.raises(ConfigError, match=key):
            Settings(**{key: 0})  # type: ignore[arg-type]
