"""The first demo start (``serve --demo``, what ``make run`` does) creates an operator, prints
it, and keeps it in the data folder; a production start creates none."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from smsrelay.bootstrap import ensure_first_operator

from .conftest import Web, csrf_of


async def test_a_production_start_creates_no_operator(web: Web) -> None:
    settings = dataclasses.replace(web.runtime.settings, demo=False)
    assert None is await ensure_first_operator(settings, web.runtime.stores)
    assert 0 == await web.runtime.extras["web_access"].count_operators()


async def test_first_start_creates_one_admin_operator(web: Web, tmp_path: Path) -> None:
    settings = dataclasses.replace(web.runtime.settings, demo=True)
    text = await ensure_first_operator(settings, web.runtime.stores)
    again = await ensure_first_operator(settings, web.runtime.stores)
    assert text is not None and text == again
    assert 1 == await web.runtime.extras["web_access"].count_operators()
    password = re.search(r"password: (\S+)", text)
    assert password is not None
    async with web.client() as http:
        page = await http.get("/admin/login")
        r = await http.post(
            "/admin/login",
            data={"login": "admin", "password": password.group(1), "csrf": csrf_of(page.text)},
        )
    assert 303 == r.status_code
    assert 0o600 == (Path(settings.data_dir) / "operator.txt").stat().st_mode & 0o777
