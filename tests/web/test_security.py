"""Sessions, cookies, CSRF and login throttling of the web side."""

from __future__ import annotations

import httpx

from .conftest import Web, csrf_of


async def test_pages_need_a_session(web: Web) -> None:
    """Every cabinet and console page sends a stranger to its login page."""
    async with web.client() as http:
        for path in ("/lk/", "/lk/history", "/lk/history.csv", "/lk/history/1", "/lk/send"):
            r = await http.get(path)
            assert (303, "/lk/login") == (r.status_code, r.headers["location"]), path
        for path in ("/admin/", "/admin/accounts", "/admin/moderation", "/admin/audit"):
            r = await http.get(path)
            assert (303, "/admin/login") == (r.status_code, r.headers["location"]), path


async def test_session_cookie_is_httponly_samesite_and_scoped_to_its_side(web: Web) -> None:
    """The session cookie is HttpOnly, SameSite=Lax and only sent to its own side's path."""
    password = await web.account("alice")
    async with web.client() as http:
        page = await http.get("/lk/login")
        r = await http.post(
            "/lk/login", data={"login": "alice", "password": password, "csrf": csrf_of(page.text)}
        )
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("lk_session="))
        lowered = cookie.lower()
        assert "httponly" in lowered
        assert "samesite=lax" in lowered
        assert "path=/lk" in lowered


async def test_login_needs_the_form_token(web: Web) -> None:
    """A login post without the login form's token (a cross-site login) is refused."""
    password = await web.account("alice")
    async with web.client() as http:
        r = await http.post("/lk/login", data={"login": "alice", "password": password})
        assert 401 == r.status_code
        assert "lk_session" not in r.cookies


async def test_every_state_change_needs_the_csrf_token(web: Web) -> None:
    """POSTs without the session's CSRF token, or with another one, change nothing (403)."""
    password = await web.account("alice", any_sender=True)
    await web.account("victim")
    op_password = await web.operator()
    async with web.client() as http:
        await web.login(http, "lk", "alice", password)
        for path, data in (
            ("/lk/send", {"phones": "79001234567", "text": "x", "sender": "Shop"}),
            ("/lk/settings", {"action": "rotate_token"}),
            ("/lk/senders", {"name": "Shop"}),
            ("/lk/logout", {}),
        ):
            assert 403 == (await http.post(path, data=data)).status_code, path
            bad = {**data, "csrf": "forged"}
            assert 403 == (await http.post(path, data=bad)).status_code, path
    async with web.client() as http:
        await web.login(http, "admin", "root", op_password)
        r = await http.post("/admin/accounts/2", data={"action": "topup", "amount": "1000"})
        assert 403 == r.status_code
    victim = await web.runtime.stores.accounts.find_by_login("victim")
    assert victim is not None and "100" == victim.account.balance.format()


async def test_client_and_operator_sessions_are_apart(web: Web) -> None:
    """A client's session value presented as the console's cookie opens nothing, and the
    reverse; a tampered cookie is refused before the database is asked."""
    password = await web.account("alice")
    op_password = await web.operator()
    async with web.client() as http:
        await web.login(http, "lk", "alice", password)
        client_cookie = http.cookies.get("lk_session")
    async with web.client() as http:
        await web.login(http, "admin", "root", op_password)
        op_cookie = http.cookies.get("op_session")
    assert client_cookie and op_cookie
    async with web.client() as http:
        http.cookies.set("op_session", client_cookie)
        assert 303 == (await http.get("/admin/")).status_code
    async with web.client() as http:
        http.cookies.set("lk_session", op_cookie)
        assert 303 == (await http.get("/lk/")).status_code
    async with web.client() as http:
        http.cookies.set(
            "lk_session", client_cookie[:-1] + ("0" if client_cookie[-1] != "0" else "1")
        )
        assert 303 == (await http.get("/lk/")).status_code


async def test_logout_ends_the_session_on_the_server(web: Web) -> None:
    """After logout the old cookie value no longer opens the cabinet."""
    password = await web.account("alice")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        cookie = http.cookies.get("lk_session")
        r = await http.post("/lk/logout", data={"csrf": csrf})
        assert 303 == r.status_code
    async with web.client() as http:
        http.cookies.set("lk_session", cookie or "")
        assert 303 == (await http.get("/lk/")).status_code


async def test_login_throttling(web: Web) -> None:
    """Five wrong passwords in a row block the login, even with the right password, until
    the window passes."""
    password = await web.account("alice")
    async with web.client() as http:
        for _ in range(5):
            page = await http.get("/lk/login")
            r = await http.post(
                "/lk/login", data={"login": "alice", "password": "nope", "csrf": csrf_of(page.text)}
            )
            assert 401 == r.status_code
        page = await http.get("/lk/login")
        r = await http.post(
            "/lk/login", data={"login": "alice", "password": password, "csrf": csrf_of(page.text)}
        )
        assert 401 == r.status_code
        assert "Слишком много попыток" in r.text
        web.clock.advance(301)
        page = await http.get("/lk/login")
        r = await http.post(
            "/lk/login", data={"login": "alice", "password": password, "csrf": csrf_of(page.text)}
        )
        assert 303 == r.status_code


async def test_operator_login_with_a_client_account_fails(web: Web) -> None:
    """Client credentials do not open the console (operators are separate users)."""
    password = await web.account("alice")
    async with web.client() as http:
        page = await http.get("/admin/login")
        r = await http.post(
            "/admin/login",
            data={"login": "alice", "password": password, "csrf": csrf_of(page.text)},
        )
        assert 401 == r.status_code


async def test_security_headers(web: Web) -> None:
    """Pages forbid framing and scripts from elsewhere."""
    async with web.client() as http:
        r = await http.get("/lk/login")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "DENY" == r.headers["x-frame-options"]


def test_throttle_limits_logins_and_addresses_apart() -> None:
    """Five failures block that login; other logins from the same address still get in
    until the address itself reaches its (higher) limit. The web's throttle is the API's
    (services/login_throttle.py), one instance per side."""
    from smsrelay.clock import OffsetClock
    from smsrelay.services.login_throttle import LoginThrottle, ThrottleSettings
    from smsrelay.services.web_access import WEB_THROTTLE, WebAccessService

    throttle = LoginThrottle(OffsetClock(), ThrottleSettings(5, 8, 300))
    for _ in range(5):
        throttle.failed("alice", "192.0.2.1")
    assert not throttle.allows("alice", "192.0.2.1")
    assert throttle.allows("bob", "192.0.2.1")
    for _ in range(3):
        throttle.failed("carol", "192.0.2.1")
    assert not throttle.allows("dave", "192.0.2.1")
    assert throttle.allows("dave", "192.0.2.2")
    assert (5, 50, 300) == (
        WEB_THROTTLE.account_failures,
        WEB_THROTTLE.address_failures,
        WEB_THROTTLE.window_seconds,
    )
    access = WebAccessService(None, OffsetClock())  # type: ignore[arg-type]
    assert isinstance(access.client_throttle, LoginThrottle)
    assert access.client_throttle is not access.operator_throttle


async def test_operator_and_client_throttles_are_apart(web: Web) -> None:
    """Five wrong passwords for operator ``root`` block it on the console, even with the
    right password, while a client account also named ``root`` still logs in to the cabinet
    from the same address; and the reverse."""
    op_pw = await web.operator("root")
    client_pw = await web.account("root")

    async def attempt(http: httpx.AsyncClient, side: str, password: str) -> httpx.Response:
        page = await http.get(f"/{side}/login")
        return await http.post(
            f"/{side}/login",
            data={"login": "root", "password": password, "csrf": csrf_of(page.text)},
        )

    async with web.client() as http:
        for _ in range(5):
            assert 401 == (await attempt(http, "admin", "nope")).status_code
        blocked = await attempt(http, "admin", op_pw)
        assert 401 == blocked.status_code and "Слишком много попыток" in blocked.text
        assert 303 == (await attempt(http, "lk", client_pw)).status_code
    web.clock.advance(301)
    async with web.client() as http:
        for _ in range(5):
            assert 401 == (await attempt(http, "lk", "nope")).status_code
        assert 401 == (await attempt(http, "lk", client_pw)).status_code
        assert 303 == (await attempt(http, "admin", op_pw)).status_code
