"""Editing in the cabinet's subscriber bases: a base's name and birthday settings, one
subscriber's fields, deleting a subscriber; written through the service X10/X12 use (read back
here through X9/X11 over HTTP), scoped to the account, CSRF-checked, escaped."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, fromstring

import httpx

from .conftest import Web


async def _xml(
    http: httpx.AsyncClient, path: str, login: str, password: str, inner: str
) -> Element:
    doc = (
        '<?xml version="1.0" encoding="utf-8" ?>\n<request><security>'
        f'<login value="{login}" /><password value="{password}" /></security>{inner}</request>'
    )
    r = await http.post(path, content=doc.encode(), headers={"Content-Type": "text/xml"})
    assert 200 == r.status_code, r.text
    return fromstring(r.content)


async def _new_base(http: httpx.AsyncClient, csrf: str, name: str, phones: str = "") -> str:
    r = await http.post("/lk/bases", data={"csrf": csrf, "name": name})
    found = re.findall(r'href="/lk/bases/(\d+)"', r.text)
    assert found
    base = found[-1]
    if phones:
        await http.post(
            f"/lk/bases/{base}", data={"csrf": csrf, "action": "paste", "phones": phones}
        )
    return base


SETTINGS = {
    "action": "settings",
    "name_base": "Клиенты <VIP>",
    "on_birth": "on",
    "time_birth": "09:30",
    "local_time_birth": "on",
    "day_before": "1",
    "originator_birth": "Shop",
    "greeting": "С днём рождения, {name}!",
}


async def test_base_settings_are_what_x9_lists(web_db: Web) -> None:
    """The settings form writes what X10 writes: X9 lists it; bad values are refused with the
    reason and change nothing; an unticked box is ``no``."""
    password = await web_db.account("alice")
    async with web_db.client() as http:
        csrf = await web_db.login(http, "lk", "alice", password)
        base = await _new_base(http, csrf, "A")
        r = await http.post(f"/lk/bases/{base}", data={"csrf": csrf, **SETTINGS})
        assert "Сохранено" in r.text
        assert "Клиенты &lt;VIP&gt;" in r.text and "<VIP>" not in r.text
        listed = await _xml(http, "/xml/list_bases.php", "alice", password, "")
        [b] = listed.findall("base")
        assert {
            "id_base": base,
            "name_base": "Клиенты <VIP>",
            "time_birth": "09:30",
            "local_time_birth": "yes",
            "day_before": "1",
            "originator_birth": "Shop",
            "on_birth": "yes",
        } == b.attrib
        assert "С днём рождения, {name}!" == b.text
        for bad, reason in (
            ({"time_birth": "25:00"}, "Время — в виде ЧЧ:ММ"),
            ({"day_before": "400"}, "Дней до дня рождения — целое число от 0 до 366"),
            ({"originator_birth": "Way too long a name"}, "Недопустимое имя отправителя"),
            (
                {"greeting": " "},
                "Чтобы отправлять поздравления, укажите время, отправителя и текст",
            ),
            ({"name_base": ""}, "Введите название"),
        ):
            r = await http.post(f"/lk/bases/{base}", data={"csrf": csrf, **SETTINGS, **bad})
            assert reason in r.text, bad
        again = (await _xml(http, "/xml/list_bases.php", "alice", password, "")).findall("base")
        assert [b.attrib] == [x.attrib for x in again]
        off = {k: v for k, v in SETTINGS.items() if k not in ("on_birth", "local_time_birth")}
        await http.post(f"/lk/bases/{base}", data={"csrf": csrf, **off, "time_birth": ""})
        [b] = (await _xml(http, "/xml/list_bases.php", "alice", password, "")).findall("base")
        assert ("no", "no", "") == (
            b.get("on_birth"),
            b.get("local_time_birth"),
            b.get("time_birth"),
        )
        r = await http.post(f"/lk/bases/{base}", data={**SETTINGS, "name_base": "no csrf"})
        assert 403 == r.status_code
        [b] = (await _xml(http, "/xml/list_bases.php", "alice", password, "")).findall("base")
        assert "Клиенты <VIP>" == b.get("name_base")


async def test_one_subscriber_edited_and_removed(web_db: Web) -> None:
    """A subscriber's page saves every X12 field (X11 lists them), refuses a bad date, and
    removes the number from the base."""
    password = await web_db.account("alice")
    async with web_db.client() as http:
        csrf = await web_db.login(http, "lk", "alice", password)
        base = await _new_base(http, csrf, "A", "79001234567 79001234568")
        listing = await http.get(f"/lk/bases/{base}")
        url = f"/lk/bases/{base}/phones/79001234567"
        assert f'href="{url}"' in listing.text
        page = await http.get(url)
        assert 200 == page.status_code and 'id="subscriber"' in page.text
        fields = {
            "region": "Москва",
            "operator": "МТС",
            "name": "<i>Анна</i>",
            "surname": "Ли",
            "patronymic": "",
            "date_birth": "1990-02-03",
            "male": "f",
            "addition_1": "VIP",
            **{f"addition_{i}": "" for i in range(2, 6)},
        }
        r = await http.post(url, data={"csrf": csrf, "action": "save", **fields})
        assert "Сохранено" in r.text
        assert "&lt;i&gt;Анна&lt;/i&gt;" in r.text and "<i>Анна" not in r.text
        inner = f'<base id_base="{base}" page="1" />'
        phones = (await _xml(http, "/xml/list_phones.php", "alice", password, inner)).iter("phone")
        saved = next(p for p in phones if p.get("phone") == "79001234567")
        assert fields == {k: saved.get(k) for k in fields}
        r = await http.post(
            url, data={"csrf": csrf, "action": "save", **fields, "date_birth": "1990-13-01"}
        )
        assert "Дата рождения — в виде ГГГГ-ММ-ДД" in r.text
        r = await http.post(url, data={"csrf": csrf, "action": "save", **fields, "male": "x"})
        assert "Выберите пол из списка" in r.text
        phones = (await _xml(http, "/xml/list_phones.php", "alice", password, inner)).iter("phone")
        saved = next(p for p in phones if p.get("phone") == "79001234567")
        assert "1990-02-03" == saved.get("date_birth") and "f" == saved.get("male")
        r = await http.post(url, data={"csrf": csrf, "action": "delete"})
        assert 303 == r.status_code
        listing = await http.get(r.headers["location"])
        assert "Абонент удалён" in listing.text
        assert ["79001234568"] == re.findall(r'<td class="mono">(\d+)</td>', listing.text)
        assert 404 == (await http.get(url)).status_code


async def test_another_accounts_base_and_subscriber_are_refused(web: Web) -> None:
    """Bob reaches none of Alice's base or subscriber pages, and writes nothing to them."""
    alice = await web.account("alice")
    bob = await web.account("bob")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", alice)
        base = await _new_base(http, csrf, "Alice's", "79001234567")
    url = f"/lk/bases/{base}/phones/79001234567"
    async with web.client() as http:
        csrf = await web.login(http, "lk", "bob", bob)
        own = await _new_base(http, csrf, "Bob's")
        assert 404 == (await http.get(url)).status_code
        for data in ({"action": "save", "name": "Hacked"}, {"action": "delete"}):
            assert 404 == (await http.post(url, data={"csrf": csrf, **data})).status_code
        r = await http.post(f"/lk/bases/{base}", data={"csrf": csrf, **SETTINGS})
        assert 404 == r.status_code
        await http.post("/lk/bases", data={"csrf": csrf, "action": "delete", "id": base})
        for path in (
            f"/lk/bases/{own}/phones/79001234567",  # not in his base
            f"/lk/bases/{own}/phones/not-a-phone",
            "/lk/bases/²/phones/79001234567",
            "/lk/bases/99999999999999999999999/phones/79001234567",
        ):
            assert 404 == (await http.get(path)).status_code, path
        assert 200 == (await http.get("/lk/bases?page=²")).status_code
    async with web.client() as http:
        await web.login(http, "lk", "alice", alice)
        [b] = (await _xml(http, "/xml/list_bases.php", "alice", alice, "")).findall("base")
        assert "Alice's" == b.get("name_base") and "no" == b.get("on_birth")
        inner = f'<base id_base="{base}" page="1" />'
        [p] = (await _xml(http, "/xml/list_phones.php", "alice", alice, inner)).iter("phone")
        assert ("79001234567", "") == (p.get("phone"), p.get("name"))
