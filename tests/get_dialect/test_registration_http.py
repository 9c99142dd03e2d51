"""G5 over real HTTP: the page, a pending account, activation, then sending with it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import Result

from smsrelay.domain.money import Money

from .conftest import GetPlatform
from .test_registration_rules import EXAMPLE

PAGE = "/ru/reg/registration.html"


async def test_docs_example_is_received_and_pending(platform: GetPlatform) -> None:
    """The spec's example URL creates an account that cannot sign in before activation."""
    r = await platform.get(PAGE, **EXAMPLE)
    assert (200, "text/html; charset=utf-8") == (r.status_code, r.headers["content-type"])
    assert 'id="received"' in r.text and "Заявка на регистрацию принята" in r.text
    assert "<b>login</b>" in r.text
    assert "Неверный логин или пароль" == await platform.get_text(
        user="login", pwd="password", balance="1"
    )


async def test_invalid_form_lists_what_is_wrong(platform: GetPlatform) -> None:
    """Each problem is one list item (class = field), HTML-escaped; nothing is created."""
    r = await platform.get(PAGE, **{**EXAMPLE, "inn": "12", "e_mail": "<bad>", "login": "x y"})
    assert 200 == r.status_code
    assert 'id="refused"' in r.text
    assert ['class="login"', 'class="e_mail"', 'class="inn"'] == [
        part.split(">")[0] for part in r.text.split("<li ")[1:]
    ]
    assert "<bad>" not in r.text
    assert [] == [a.login for a in await platform.runtime.extras["registration"].list_accounts()]


async def test_taken_login_is_refused(platform: GetPlatform) -> None:
    """A second registration (or an existing account) with the login is refused."""
    await platform.account("login")
    r = await platform.get(PAGE, **EXAMPLE)
    assert 'class="login_taken"' in r.text and "Этот логин уже занят." in r.text


async def test_activation_then_sending(platform: GetPlatform) -> None:
    """After ``activate`` the registered login signs in, gets a balance and sends (raw GET)."""
    r = await platform.get(PAGE, **{**EXAMPLE, "login": "newco", "password": "s3cret"})
    assert 'id="received"' in r.text
    await platform.runtime.extras["registration"].activate("newco")
    assert "0\nRUR" == await platform.get_text(user="newco", pwd="s3cret", balance="1")
    await platform.runtime.admin.topup("newco", Money.parse("10"))
    await platform.runtime.admin.add_sender("newco", "NewCo", approve=True)
    status, body = await platform.raw(
        "GET /sendsms.php?user=newco&pwd=s3cret&sadr=NewCo&dadr=79001234567&text=Привет мир "
        "HTTP/1.1".encode()
    )
    assert 200 == status and body.isdigit()


def test_cli_activate_and_list(tmp_path: Path) -> None:
    """``account activate`` (one line; exit 1 and one line for a login with nothing pending)
    and ``account list``, run in-process on a real database."""
    from click.testing import CliRunner

    from smsrelay.cli import registration as _registration  # noqa: F401 - registers commands
    from smsrelay.cli.main import cli
    from smsrelay.clock import SystemClock
    from smsrelay.services.registration import RegistrationForm, RegistrationService
    from smsrelay.store import Database, migrate
    from smsrelay.store.registration import SqlRegistrationStore

    url = f"sqlite:///{tmp_path}/cli.db"

    async def register() -> None:
        await migrate(url)
        db = await Database.open(url)
        try:
            service = RegistrationService(SqlRegistrationStore(db), SystemClock())
            assert [] == await service.register(RegistrationForm.from_params(EXAMPLE))
        finally:
            await db.close()

    asyncio.run(register())
    runner = CliRunner()

    def smsrelay(*args: str) -> Result:
        return runner.invoke(cli, [*args, "--database", url])

    listing = smsrelay("account", "list")
    assert (
        0 == listing.exit_code
        and "1\tlogin\tpending\tbalance 0 registered as le\n" == listing.output
    )
    activated = smsrelay("account", "activate", "login")
    assert (0, "login: activated (id 1)\n") == (activated.exit_code, activated.output)
    again = smsrelay("account", "activate", "login")
    assert (1, "Error: no pending registration with login 'login'\n") == (
        again.exit_code,
        again.output,
    )


async def test_whole_get_flow_on_each_database(any_platform: GetPlatform) -> None:
    """Register, activate, send over GET, read the delivered status and the balance."""
    p = any_platform
    await p.get(PAGE, **{**EXAMPLE, "login": "flow", "password": "pw"})
    await p.runtime.extras["registration"].activate("flow")
    await p.runtime.admin.topup("flow", Money.parse("5"))
    await p.runtime.admin.add_sender("flow", "Flow", approve=True)
    auth = {"user": "flow", "pwd": "pw"}
    id_sms = int(await p.get_text(**auth, sadr="Flow", dadr="79001230001", text="Код: 1234"))
    await p.waiter.final([id_sms])
    assert "deliver" == await p.get_text(**auth, smsid=str(id_sms))
    assert "4\nRUR" == await p.get_text(**auth, balance="1")
