"""Subscriber bases in the cabinet: create, paste, CSV import through a mapping preview."""

from __future__ import annotations

import re

from smsrelay.web.bases_pages import guess_mapping, read_csv

from .conftest import Web


def test_csv_reading_and_the_first_guess() -> None:
    """Semicolons and Windows-1251 are read; the phone column is found by its values and a
    known header name maps to its field."""
    data = "Телефон;name;город\n+7 900 123-45-67;Иван;Москва\n79001234568;Пётр;Тула\n"
    rows = read_csv(data.encode("cp1251"))
    assert ["Телефон", "name", "город"] == rows[0]
    assert ["phone", "name", ""] == guess_mapping(rows)


async def test_import_a_csv_with_a_mapping_preview(web: Web) -> None:
    password = await web.account("alice")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post("/lk/bases", data={"csrf": csrf, "name": "Клиенты <VIP>"})
        assert "Клиенты &lt;VIP&gt;" in r.text
        base = re.search(r'href="/lk/bases/(\d+)"', r.text)
        assert base is not None
        url = f"/lk/bases/{base.group(1)}"
        csv_data = "phone,name,surname\n79001234567,Иван,<b>x</b>\nnot-a-phone,Bad,Row\n"
        r = await http.post(
            url,
            data={"csrf": csrf, "action": "preview"},
            files={"file": ("list.csv", csv_data.encode(), "text/csv")},
        )
        assert "Проверьте столбцы" in r.text
        file_id = re.search(r'name="file_id" value="(\d+)"', r.text)
        assert file_id is not None
        assert "&lt;b&gt;x&lt;/b&gt;" in r.text  # the preview escapes the file's cells
        nothing = await http.get(url)
        assert "База пуста" in nothing.text  # nothing stored by the preview
        r = await http.post(
            url,
            data={
                "csrf": csrf,
                "action": "import",
                "file_id": file_id.group(1),
                "col0": "phone",
                "col1": "name",
                "col2": "surname",
                "header": "on",
            },
        )
        assert "Импортировано" in r.text
        assert ["79001234567"] == re.findall(r'<td class="mono">(\d+)</td>', r.text)
        assert "<td>Иван</td>" in r.text
        r = await http.post(url, data={"csrf": csrf, "action": "paste", "phones": "79001112233"})
        assert 2 == len(re.findall(r'<td class="mono">(\d+)</td>', r.text))


async def test_another_accounts_base_and_file_are_out_of_reach(web: Web) -> None:
    """Bob cannot open Alice's base nor import Alice's uploaded file into his own base."""
    alice = await web.account("alice")
    bob = await web.account("bob")
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", alice)
        r = await http.post("/lk/bases", data={"csrf": csrf, "name": "A"})
        alice_base = re.search(r'href="/lk/bases/(\d+)"', r.text).group(1)  # type: ignore[union-attr]
        r = await http.post(
            f"/lk/bases/{alice_base}",
            data={"csrf": csrf, "action": "preview"},
            files={"file": ("l.csv", b"79001234567\n", "text/csv")},
        )
        alice_file = re.search(r'name="file_id" value="(\d+)"', r.text).group(1)  # type: ignore[union-attr]
    async with web.client() as http:
        csrf = await web.login(http, "lk", "bob", bob)
        assert 404 == (await http.get(f"/lk/bases/{alice_base}")).status_code
        r = await http.post("/lk/bases", data={"csrf": csrf, "name": "B"})
        bob_base = re.search(r'href="/lk/bases/(\d+)"', r.text).group(1)  # type: ignore[union-attr]
        r = await http.post(
            f"/lk/bases/{bob_base}",
            data={"csrf": csrf, "action": "import", "file_id": alice_file, "col0": "phone"},
        )
        assert "Ничего не импортировано" in r.text
        assert "База пуста" in r.text


async def test_send_to_a_base_and_pasted_numbers_without_repeats(web: Web) -> None:
    password = await web.account("alice", any_sender=True)
    async with web.client() as http:
        csrf = await web.login(http, "lk", "alice", password)
        r = await http.post("/lk/bases", data={"csrf": csrf, "name": "B"})
        base = re.search(r'href="/lk/bases/(\d+)"', r.text).group(1)  # type: ignore[union-attr]
        await http.post(
            f"/lk/bases/{base}",
            data={"csrf": csrf, "action": "paste", "phones": "79001234567 79001234568"},
        )
        est = await http.post(
            "/lk/send/estimate",
            data={"phones": "79001234567", "base": base, "text": "hi"},
            headers={"X-CSRF-Token": csrf},
        )
        assert "получателей: <b>2</b>" in est.text
        r = await http.post(
            "/lk/send",
            data={"csrf": csrf, "base": base, "phones": "79001234567", "text": "hi", "sender": "S"},
        )
    assert "Принято: 2 / 2" in r.text
