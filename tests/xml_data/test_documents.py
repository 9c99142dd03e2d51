"""Document-level answers of the data endpoints: credentials, locked accounts, missing or
malformed documents, and the configured status of error documents (§1.4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from xml.etree.ElementTree import fromstring

import pytest

from e2e.conftest import start_platform
from smsrelay.domain.accounts import Lang

from .conftest import XmlClient, security

PATHS = [
    "/xml/def.php",
    "/xml/list_bases.php",
    "/xml/bases.php",
    "/xml/list_phones.php",
    "/xml/phones.php",
    "/xml/list_stop.php",
    "/xml/stop.php",
    "/xml/list_scheduled.php",
    "/xml/scheduled.php",
    "/xml/check_change.php",
]


async def test_every_endpoint_refuses_bad_credentials_and_missing_data(client: XmlClient) -> None:
    """Each route answers the RU literals: unknown token, no POST data (empty body, GET),
    malformed XML; a wrong password too (checked once: argon2 is slow on purpose)."""
    await client.user("alice")
    wrong = (
        '<request><security><login value="alice" /><password value="nope" /></security></request>'
    )
    assert "Неправильный логин или пароль" == (await client.raw(PATHS[0], wrong.encode())).error
    unknown = '<request><security><token value="nope" /></security></request>'
    for path in PATHS:
        assert "Неправильный логин или пароль" == (await client.raw(path, unknown.encode())).error
        assert "POST данные отсутствуют" == (await client.raw(path, b"")).error
        got = await client.platform.http.get(path)
        assert "POST данные отсутствуют" == fromstring(got.content).findtext("error")
        assert "Неправильный формат XML документа" == (await client.raw(path, b"<request>")).error


async def test_locked_account_is_refused_in_its_language(client: XmlClient) -> None:
    """A locked account gets the account-locked document literal (RU and EN)."""
    await client.user("ru_locked")
    await client.user("en_locked", lang=Lang.EN)
    await client.platform.runtime.admin.set_locked("ru_locked", True)
    await client.platform.runtime.admin.set_locked("en_locked", True)
    for path in PATHS:
        assert "Ваш аккаунт заблокирован" == (await client.call(path, "ru_locked")).error
        assert "Your account is locked" == (await client.call(path, "en_locked")).error


async def test_security_last_and_any_content_type(client: XmlClient) -> None:
    """``<security>`` after the operation and a bogus Content-Type are accepted."""
    creds = await client.user("bob")
    body = (
        '<?xml version="1.0" encoding="utf-8" ?><request>'
        f'<add_stop><phone phone="79001234567" /></add_stop>{security(creds)}</request>'
    )
    r = await client.platform.post_raw(
        "/xml/stop.php", body.encode(), {"Content-Type": "charset=utf-8"}
    )
    assert 200 == r.status_code
    assert "add" == fromstring(r.content).findtext("phone")


async def test_literal_backslash_n_in_a_greeting_is_a_newline(client: XmlClient) -> None:
    """[WL] clients send newlines in texts as the two characters ``\\n``."""
    await client.user("carol")
    await client.call(
        "/xml/bases.php", "carol", '<bases><base number_base="1">Line 1\\nLine 2</base></bases>'
    )
    listed = await client.call("/xml/list_bases.php", "carol")
    assert "Line 1\nLine 2" == listed.root.findtext("base")


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[XmlClient]:
    url = f"sqlite:///{tmp_path / 'strict.db'}"
    async for p in start_platform(url, tmp_path, error_status="400"):
        yield XmlClient(p, {})


async def test_error_documents_get_400_when_configured(strict: XmlClient) -> None:
    """With ``error_status=400`` the unknown-base and format errors answer 400; a
    successful document still answers 200."""
    creds = await strict.user("dave")
    unknown = f'<request>{security(creds)}<check obgect="base" id="5" /></request>'
    answer = await strict.raw("/xml/check_change.php", unknown.encode())
    assert (400, "Базы с таким номером не существует") == (answer.status, answer.error)
    bad = f'<request>{security(creds)}<check obgect="x" id="5" /></request>'
    answer = await strict.raw("/xml/check_change.php", bad.encode())
    assert (400, "Неправильный формат XML документа") == (answer.status, answer.error)
    fine = f'<request>{security(creds)}<check obgect="stop" id="1" /></request>'
    assert 200 == (await strict.raw("/xml/check_change.php", fine.encode())).status
