"""X9/X10 bases, X11/X12 subscribers and X17 ``base`` change times over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree.ElementTree import Element

from smsrelay.domain.accounts import Lang

from .conftest import XmlClient

NO_BASE_RU = "Базы с таким номером не существует"
NO_BASE_EN = "A base with this number does not exist"
BAD_FORMAT_RU = "Неправильный формат XML документа"
BAD_FORMAT_EN = "Incorrect XML document format"

CREATE = (
    "<bases>"
    '<base number_base="1" name_base="Head Office Base" time_birth="12:48" local_time_birth="yes"'
    ' day_before="1" originator_birth="fitnes" on_birth="yes">Congratulations!</base>'
    '<base number_base="2" name_base="Second">Hi</base>'
    "</bases>"
)


def _results(root: Element, tag: str = "base") -> list[dict[str, str]]:
    return [{**el.attrib, "result": el.text or ""} for el in root.findall(tag)]


async def _create(c: XmlClient, login: str) -> list[str]:
    answer = await c.call("/xml/bases.php", login, CREATE)
    return [el.get("id_base") or "" for el in answer.root.findall("base")]


async def test_create_list_edit_delete_bases(client: XmlClient) -> None:
    """Creating answers insert with number_base and the new id_base; list_bases shows every
    setting; an edit keeps what it does not give; delete and not_found are answered."""
    c = client
    await c.user("alice")
    created = await c.call("/xml/bases.php", "alice", CREATE, password=True)
    first, second = (el.get("id_base") or "" for el in created.root.findall("base"))
    expected = [
        {"number_base": "1", "id_base": first, "result": "insert"},
        {"number_base": "2", "id_base": second, "result": "insert"},
    ]
    assert expected == _results(created.root)
    listed = await c.call("/xml/list_bases.php", "alice")
    bases = listed.root.findall("base")
    assert {
        "id_base": first,
        "name_base": "Head Office Base",
        "time_birth": "12:48",
        "local_time_birth": "yes",
        "day_before": "1",
        "originator_birth": "fitnes",
        "on_birth": "yes",
    } == bases[0].attrib
    assert "Congratulations!" == bases[0].text
    assert ("", "no", "0", "no") == tuple(
        bases[1].get(k) for k in ("time_birth", "local_time_birth", "day_before", "on_birth")
    )
    edited = await c.call(
        "/xml/bases.php",
        "alice",
        f'<bases><base id_base="{first}" on_birth="no" time_birth="09:05" /></bases>'
        f'<delete_bases><base id_base="{second}" /><base id_base="999999" /></delete_bases>',
    )
    expected = [
        {"id_base": first, "result": "edit"},
        {"id_base": second, "result": "delete"},
        {"id_base": "999999", "result": "not_found"},
    ]
    assert expected == _results(edited.root)
    (only,) = (await c.call("/xml/list_bases.php", "alice")).root.findall("base")
    assert ("Head Office Base", "09:05", "no", "Congratulations!") == (
        only.get("name_base"),
        only.get("time_birth"),
        only.get("on_birth"),
        only.text,
    )


async def test_another_accounts_bases_are_invisible(client: XmlClient) -> None:
    """Bases of another account: not listed, edits and deletes answer not_found, their
    subscribers and change time answer the unknown-base literal."""
    c = client
    await c.user("owner")
    await c.user("other")
    base, _ = await _create(c, "owner")
    assert [] == (await c.call("/xml/list_bases.php", "other")).root.findall("base")
    edited = await c.call(
        "/xml/bases.php",
        "other",
        f'<bases><base id_base="{base}" name_base="x" /></bases>'
        f'<delete_bases><base id_base="{base}" /></delete_bases>',
    )
    assert ["not_found", "not_found"] == [el.text for el in edited.root.findall("base")]
    listed = await c.call("/xml/list_phones.php", "other", f'<base id_base="{base}" page="1" />')
    assert NO_BASE_RU == listed.error
    phones = await c.call(
        "/xml/phones.php", "other", f'<base id_base="{base}"><phone phone="79001234567" /></base>'
    )
    assert NO_BASE_RU == phones.error
    check = await c.call("/xml/check_change.php", "other", f'<check obgect="base" id="{base}" />')
    assert NO_BASE_RU == check.error
    assert 2 == len((await c.call("/xml/list_bases.php", "owner")).root.findall("base"))


async def test_subscribers_insert_edit_delete_not_found(client: XmlClient) -> None:
    """X12 answers insert/edit/delete/not_found per number_phone; an existing number is
    edited; region and operator come from numbering data when not given; male accepts the
    Russian words and is listed as m/f; addition_1..5 are kept."""
    c = client
    await c.user("bob")
    base, _ = await _create(c, "bob")
    answer = await c.call(
        "/xml/phones.php",
        "bob",
        f'<base id_base="{base}">'
        '<phone phone="79161234567" name="Иван" surname="Иванов" patronymic="Иванович"'
        ' date_birth="1988-08-28" male="мужской" addition_1="a1" addition_2="a2"'
        ' addition_3="a3" addition_4="a4" addition_5="a5" number_phone="1"/>'
        '<phone phone="79001234568" region="Москва" operator="Мегафон" male="f"'
        ' number_phone="2"/>'
        '<phone phone="79161234567" name="Пётр" number_phone="3"/>'
        '<phone phone="79001234569" action="delete" number_phone="5"/>'
        "</base>",
    )
    (group,) = answer.root.findall("base")
    assert base == group.get("id_base")
    expected = [
        {"phone": "79161234567", "number_phone": "1", "result": "insert"},
        {"phone": "79001234568", "number_phone": "2", "result": "insert"},
        {"phone": "79161234567", "number_phone": "3", "result": "edit"},
        {"phone": "79001234569", "number_phone": "5", "result": "not_found"},
    ]
    assert expected == _results(group, "phone")
    listed = await c.call("/xml/list_phones.php", "bob", f'<base id_base="{base}" page="1" />')
    page = listed.root.find("phones")
    assert page is not None
    assert ("1", "1") == (page.get("page"), page.get("num_pages"))
    second, first = page.findall("phone")  # ordered by number
    assert "79001234568" == second.get("phone")
    assert ("Москва", "Мегафон", "f") == (
        second.get("region"),
        second.get("operator"),
        second.get("male"),
    )
    attrs = dict(first.attrib)
    assert 19 == len(attrs.pop("last_update"))
    assert {
        "phone": "79161234567",
        "region": "Москва и Московская обл.",
        "operator": "МТС",
        "name": "Пётр",
        "surname": "Иванов",
        "patronymic": "Иванович",
        "date_birth": "1988-08-28",
        "male": "m",
        "addition_1": "a1",
        "addition_2": "a2",
        "addition_3": "a3",
        "addition_4": "a4",
        "addition_5": "a5",
    } == attrs
    deleted = await c.call(
        "/xml/phones.php",
        "bob",
        f'<base id_base="{base}"><phone phone="79001234568" action="delete" number_phone="7"/>'
        "</base>",
    )
    assert "delete" == deleted.root.findtext("base/phone")


async def test_paging_and_last_update_filter(client: XmlClient) -> None:
    """100 subscribers a page, pages 1-based with num_pages; last_update keeps only the
    subscribers changed at or after it (account local time)."""
    c = client
    await c.user("carol", lang=Lang.EN)
    base, _ = await _create(c, "carol")
    rows = "".join(f'<phone phone="7900100{i:04d}" number_phone="{i}"/>' for i in range(150))
    await c.call("/xml/phones.php", "carol", f'<base id_base="{base}">{rows}</base>')
    pages = []
    for n in (1, 2, 3):
        answer = await c.call(
            "/xml/list_phones.php", "carol", f'<base id_base="{base}" page="{n}" />'
        )
        page = answer.root.find("phones")
        assert page is not None
        assert (str(n), "2") == (page.get("page"), page.get("num_pages"))
        pages.append([p.get("phone") for p in page.findall("phone")])
    assert [100, 50, 0] == [len(p) for p in pages]
    assert [f"7900100{i:04d}" for i in range(150)] == pages[0] + pages[1]
    first = (
        await c.call("/xml/list_phones.php", "carol", f'<base id_base="{base}" page="1" />')
    ).root.find("phones/phone")
    assert first is not None
    since = _plus_minute(first.get("last_update") or "")
    c.platform.clock.advance(120)
    edit = f'<base id_base="{base}"><phone phone="79001000007" name="x"/></base>'
    await c.call("/xml/phones.php", "carol", edit)
    filtered = await c.call(
        "/xml/list_phones.php",
        "carol",
        f'<base id_base="{base}" page="1" last_update="{since}"/>',
    )
    page = filtered.root.find("phones")
    assert page is not None
    assert ["79001000007"] == [p.get("phone") for p in page.findall("phone")]
    assert ("1", "1") == (page.get("page"), page.get("num_pages"))


def _plus_minute(wire: str) -> str:
    moment = datetime.strptime(wire, "%Y-%m-%d %H:%M:%S") + timedelta(minutes=1)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


async def test_check_change_base_moves_with_settings_and_subscribers(client: XmlClient) -> None:
    """X17 ``obgect="base"``: the base's last change, moved by a settings edit and by any
    subscriber change."""
    c = client
    await c.user("dave")
    base, _ = await _create(c, "dave")
    check = f'<check obgect="base" id="{base}" />'

    async def stamp() -> str:
        found = (await c.call("/xml/check_change.php", "dave", check)).root.find("obgect")
        assert found is not None
        return found.get("time_update") or ""

    created = await stamp()
    assert 19 == len(created)
    c.platform.clock.advance(60)
    await c.call(
        "/xml/phones.php", "dave", f'<base id_base="{base}"><phone phone="79001234567"/></base>'
    )
    after_phone = await stamp()
    assert after_phone > created
    c.platform.clock.advance(60)
    await c.call("/xml/bases.php", "dave", f'<bases><base id_base="{base}">New text</base></bases>')
    assert await stamp() > after_phone


async def test_unknown_base_literal_in_english_and_bad_values(client: XmlClient) -> None:
    """Unknown bases answer the EN literal for EN accounts; malformed values refuse the whole
    document with the format literal and write nothing."""
    c = client
    await c.user("erin", lang=Lang.EN)
    base, _ = await _create(c, "erin")
    missing = await c.call("/xml/list_phones.php", "erin", '<base id_base="777777" page="1" />')
    assert NO_BASE_EN == missing.error
    bad_docs = [
        ("/xml/bases.php", '<bases><base number_base="1" time_birth="25:00">x</base></bases>'),
        ("/xml/bases.php", '<bases><base number_base="1" on_birth="maybe">x</base></bases>'),
        ("/xml/bases.php", '<bases><base number_base="1" day_before="-1">x</base></bases>'),
        ("/xml/phones.php", f'<base id_base="{base}"><phone phone="79001234567" male="x"/></base>'),
        (
            "/xml/phones.php",
            f'<base id_base="{base}"><phone phone="79001234566"/>'
            '<phone phone="79001234567" date_birth="28.08.1988"/></base>',
        ),
        ("/xml/phones.php", f'<base id_base="{base}"><phone phone="12ab"/></base>'),
        ("/xml/list_phones.php", f'<base id_base="{base}" page="0" />'),
        ("/xml/list_phones.php", f'<base id_base="{base}" page="1" last_update="yesterday" />'),
        ("/xml/check_change.php", '<check obgect="planet" id="1" />'),
    ]
    for path, inner in bad_docs:
        assert BAD_FORMAT_EN == (await c.call(path, "erin", inner)).error, inner
    assert 2 == len((await c.call("/xml/list_bases.php", "erin")).root.findall("base"))
    listed = await c.call("/xml/list_phones.php", "erin", f'<base id_base="{base}" page="1" />')
    assert [] == listed.root.findall("phones/phone")
