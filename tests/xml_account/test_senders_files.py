"""X5 senders, X6 sender registration with an X19 file, moderation by an operator, and the
X19 upload endpoint itself; one account never sees another's senders or files."""

from __future__ import annotations

import re
from pathlib import Path

from smsrelay.domain.accounts import Lang

from .conftest import XmlPlatform, error_doc, inner_of

PHONE = "79033256699"
QUEUED_RU = "Отправитель поставлен в очередь на регистрацию."
QUEUED_EN = "The sender is queued for registration."
RULE_RU = (
    "Отправитель может состоять только из 11-ти латинских символов, цифр, пробелов и знаков "
    '"\'?><,.-_=+/"!@#$%^&*() " или 15-ти цифр'
)
RULE_EN = (
    "The sender can only consist of 11 Latin characters, numbers, spaces and "
    'symbols"\\\'?><,.-_=+/"!@#$%^&*() " or 15 digits'
)


def xml_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def upload(xmlp: XmlPlatform, data: dict[str, str], content: bytes | None = b"%PDF-1") -> str:
    files = {"file": ("doc.pdf", content, "application/pdf")} if content is not None else None
    r = await xmlp.p.http.post("/xml/file.php", data=data, files=files)
    assert (200, "text/plain; charset=utf-8") == (r.status_code, r.headers["content-type"])
    return r.text


async def test_file_upload_answers_and_storage(xmlp: XmlPlatform, tmp_path: Path) -> None:
    """X19: login + ``passsword`` (SIC) or token upload a file and get its id (plain text);
    the bytes are kept under the data dir; wrong credentials, a missing file, an empty or
    oversized file, a non-multipart body get the two documented ``-`` lines."""
    await xmlp.account("shop")
    first = await upload(xmlp, {"login": "shop", "passsword": "pw-shop"}, b"hello file")
    second = await upload(xmlp, {"token": xmlp.tokens["shop"]})
    assert first.isdigit() and second.isdigit() and first != second
    stored = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert {b"hello file", b"%PDF-1"} == {p.read_bytes() for p in stored}
    assert "-Invalid login or password" == await upload(xmlp, {"login": "shop", "password": "x"})
    assert "-Invalid login or password" == await upload(xmlp, {})
    assert "-Failed to copy file" == await upload(
        xmlp, {"login": "shop", "password": "pw-shop"}, None
    )
    assert "-Failed to copy file" == await upload(xmlp, {"token": xmlp.tokens["shop"]}, b"")
    big = b"x" * (5 * 1024 * 1024 + 1)
    assert "-Failed to copy file" == await upload(xmlp, {"token": xmlp.tokens["shop"]}, big)
    r = await xmlp.post(
        "/xml/file.php", b"<request/>", {"Content-Type": "multipart/form-data; boundary=zz"}
    )
    assert "-Failed to copy file" == r.text
    assert "-Failed to copy file" == (await xmlp.p.http.get("/xml/file.php")).text


async def test_sender_registration_moderation_and_sending(xmlp: XmlPlatform) -> None:
    """X6 files a name (case-insensitive attributes, operator MCC/MNC, own file id): it is
    ``order`` in X5 and refused for sending (row 16); the operator approves it and it sends;
    a rejection's comment shows as ``history``; a bad name answers the §1.10 text."""
    await xmlp.account("shop")
    file_id = await upload(xmlp, {"token": xmlp.tokens["shop"]})
    inner = (
        '<originator INN="7700000000" kpp="770001001" Ogrn="1027700000000" '
        'name_counterparty="OOO Shop" template="Code: %d" comment="for OTP">MyShop</originator>'
        f'<originator inn="1">Bad_Sender_Name_Too_Long</originator>'
        f'<operator MCC="250" mnc="01">MTS</operator><file href="http://x/doc" id="{file_id}"/>'
    )
    body = inner_of(await xmlp.call("/xml/add_originator.php", "shop", inner, token=False))
    match = re.fullmatch(
        rf'<originator id_originator="(\d+)">{QUEUED_RU}</originator>'
        rf"<originator>{re.escape(xml_escaped(RULE_RU))}</originator>",
        body,
    )
    assert match is not None, body
    listing = inner_of(await xmlp.call("/xml/originator.php", "shop", ""))
    assert (
        "<any_originator>FALSE</any_originator><list_originator>"
        '<originator MCC="250" MNC="01" template="Code: %d" comment="for OTP" history="" '
        'operator="MTS" state="order">MyShop</originator></list_originator>'
    ) == listing
    send = f'<message><sender>MyShop</sender><text>hi</text><abonent phone="{PHONE}"/></message>'
    refused = inner_of(await xmlp.call("/xml", "shop", send))
    assert "<information>Отправитель не прошел модерацию.</information>" == refused
    senders = xmlp.runtime.extras["senders"]
    await senders.approve("shop", "MyShop")
    assert 'id_sms="' in await xmlp.call("/xml", "shop", send)
    again = inner_of(
        await xmlp.call("/xml/add_originator.php", "shop", "<originator>MyShop</originator>")
    )
    assert (
        f'<originator id_originator="{match.group(1)}">Отправитель добавлен.</originator>' == again
    )
    await xmlp.call("/xml/add_originator.php", "shop", "<originator>Other</originator>")
    await senders.reject("shop", "Other", "No documents")
    listing = inner_of(await xmlp.call("/xml/originator.php", "shop", ""))
    assert 'history="No documents" operator="" state="rejected">Other</originator>' in listing
    assert 'state="completed">MyShop</originator>' in listing


async def test_accounts_never_see_each_other(xmlp: XmlPlatform) -> None:
    """Another account's file id is refused like an unknown one; its senders are not listed;
    an English account gets the English results; an any-sender account sees TRUE and its
    registrations are usable at once."""
    await xmlp.account("a")
    await xmlp.account("b", lang=Lang.EN)
    await xmlp.account("free", any_sender=True)
    file_of_a = await upload(xmlp, {"token": xmlp.tokens["a"]})
    await xmlp.call("/xml/add_originator.php", "a", "<originator>OnlyA</originator>")
    foreign = f'<originator>Bee<file id="{file_of_a}"/></originator>'
    assert error_doc("Incorrect XML document format") == await xmlp.call(
        "/xml/add_originator.php", "b", foreign
    )
    body = inner_of(
        await xmlp.call(
            "/xml/add_originator.php",
            "b",
            "<originator>Bee</originator><originator>Bad Name 123456</originator>",
        )
    )
    assert re.fullmatch(
        rf'<originator id_originator="\d+">{QUEUED_EN}</originator>'
        rf"<originator>{re.escape(xml_escaped(RULE_EN))}</originator>",
        body,
    ), body
    listing = inner_of(await xmlp.call("/xml/originator.php", "b", ""))
    assert "OnlyA" not in listing and ">Bee</originator>" in listing
    assert "<any_originator>TRUE</any_originator>" == inner_of(
        await xmlp.call("/xml/originator.php", "free", "")
    )
    added = inner_of(
        await xmlp.call("/xml/add_originator.php", "free", "<originator>Mine</originator>")
    )
    assert re.fullmatch(
        r'<originator id_originator="\d+">Отправитель добавлен.</originator>', added
    )
