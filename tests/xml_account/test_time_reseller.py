"""X18 user-local time and X20 reseller credits over real HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from smsrelay.store.schema import ledger

from .conftest import XmlPlatform, error_doc, inner_of


async def local_time(xmlp: XmlPlatform, login: str) -> tuple[datetime, datetime, datetime]:
    """(earliest expected, answered, latest expected) naive local times."""

    def moscow() -> datetime:
        return (xmlp.p.clock.now() + timedelta(hours=3)).replace(tzinfo=None, microsecond=0)

    before = moscow()
    body = inner_of(await xmlp.call("/xml/time.php", login, ""))
    after = moscow()
    match = re.fullmatch(r"<time>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</time>", body)
    assert match is not None, body
    return before, datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"), after


async def test_time_is_moscow_plus_the_account_offset(xmlp: XmlPlatform) -> None:
    """``YYYY-MM-DD HH:MM:SS``: Moscow time for offset 0, plus the offset once it is set (the
    worked example: Novosibirsk, +4 h from Moscow today)."""
    await xmlp.account("shop")
    before, answered, after = await local_time(xmlp, "shop")
    assert before <= answered <= after
    record = await xmlp.runtime.stores.accounts.find_by_login("shop")
    await xmlp.runtime.stores.accounts.set_tz_offset(record.account.id, 4)
    before, answered, after = await local_time(xmlp, "shop")
    four = timedelta(hours=4)
    assert before + four <= answered <= after + four


async def balance_of(xmlp: XmlPlatform, login: str) -> str:
    body = inner_of(await xmlp.call("/xml/balance.php", login, ""))
    match = re.match(r'<money currency="RUR">([^<]+)</money>', body)
    assert match is not None, body
    return match.group(1)


async def test_reseller_credits_its_own_sub_accounts(xmlp: XmlPlatform) -> None:
    """Each credit moves money from the reseller to its sub-account (ledger rows on both
    sides) and answers a numeric id_transaction; a foreign or unknown login is NO_USER; more
    than the reseller holds is NO_MONEY; write_off moves money back."""
    await xmlp.account("reseller", balance="300")
    await xmlp.account("other", balance="50")
    await xmlp.account("test_6_1", balance="0", parent="reseller")
    await xmlp.account("test_smpp_3", balance="10", parent="reseller")
    await xmlp.account("not_mine", balance="0", parent="other")
    inner = (
        '<client login_client="test_6_1" balance="100" type_transaction="webmoney"/>'
        '<client login_client="test_smpp_3" balance="150.5" type_transaction="Manager"/>'
        '<client login_client="not_mine" balance="1" type_transaction="manager"/>'
        '<client login_client="nobody" balance="1" type_transaction="manager"/>'
        '<client login_client="test_6_1" balance="60" type_transaction="cashless"/>'
        '<client login_client="test_smpp_3" balance="20.5" type_transaction="write_off"/>'
    )
    body = inner_of(await xmlp.call("/xml/add_balance.php", "reseller", inner, token=False))
    txs = re.findall(r'<transaction login="([^"]+)" id_transaction="([^"]+)" />', body)
    assert ["test_6_1", "test_smpp_3", "not_mine", "nobody", "test_6_1", "test_smpp_3"] == [
        login for login, _ in txs
    ]
    codes = [tx for _, tx in txs]
    assert ["NO_USER", "NO_USER", "NO_MONEY"] == codes[2:5]
    assert all(c.isdigit() for c in (codes[0], codes[1], codes[5]))
    assert len({codes[0], codes[1], codes[5]}) == 3
    assert "70" == await balance_of(xmlp, "reseller")  # 300 - 100 - 150.5 + 20.5
    assert "100" == await balance_of(xmlp, "test_6_1")
    assert "140" == await balance_of(xmlp, "test_smpp_3")  # 10 + 150.5 - 20.5
    assert "0" == await balance_of(xmlp, "not_mine")
    async with xmlp.runtime.stores.db.read() as conn:
        kinds = list(
            await conn.scalars(
                select(ledger.c.kind)
                .where(ledger.c.kind.in_(["reseller_in", "reseller_out"]))
                .order_by(ledger.c.id)
            )
        )
    # reseller's row first: two credits, then the write-off the other way round
    assert ["reseller_out", "reseller_in"] * 2 + ["reseller_in", "reseller_out"] == kinds
    # a sub-account is not a reseller of its sibling
    sibling = '<client login_client="test_smpp_3" balance="1" type_transaction="manager"/>'
    assert '<transaction login="test_smpp_3" id_transaction="NO_USER" />' == inner_of(
        await xmlp.call("/xml/add_balance.php", "test_6_1", sibling)
    )


async def test_unclosed_client_tags_are_tolerated(xmlp: XmlPlatform) -> None:
    """The EN example leaves ``<client …>`` unclosed: still understood; truly broken XML is
    still a format error."""
    await xmlp.account("reseller", balance="10")
    await xmlp.account("sub", balance="0", parent="reseller")
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><request>{xmlp.security("reseller")}\n'
        '<client login_client="sub" balance="3" type_transaction="trust_payment">\n'
        '<client login_client="ghost" balance="3" type_transaction="BITCOIN">\n'
        "</request>"
    )
    r = await xmlp.post("/xml/add_balance.php", body)
    assert re.fullmatch(
        r'<transaction login="sub" id_transaction="\d+" />'
        r'<transaction login="ghost" id_transaction="NO_USER" />',
        inner_of(r.text),
    ), r.text
    assert "7" == await balance_of(xmlp, "reseller")
    broken = await xmlp.post("/xml/add_balance.php", "<request><client login_client=</request>")
    assert error_doc("Неправильный формат XML документа") == broken.text
