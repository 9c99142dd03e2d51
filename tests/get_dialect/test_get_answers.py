"""G1 answers that clients can rely on (issue 9): one entry per ``dadr`` number in request
order, ``0`` for a refused number, so clients that pair ids with numbers by position (the
public Perl and node clients) never attribute an id to the wrong number; and refusals worded
from the §1.9 GET list wherever one of its texts fits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smsrelay.api.literals import Dialect, recipient_error
from smsrelay.domain.accounts import Lang
from smsrelay.domain.errors import RecipientError as R
from smsrelay.store.schema import messages

from .conftest import GetPlatform

#: the GET plain-text list of §1.9 (the [WL] Perl client's strings), exact
GET_LIST = {
    "Неверный логин или пароль",
    "Проверьте свой баланс или корректность номера получателя.",
    "Укажите номер телефона.",
    "Не введен номер телефона.",
    "Номер телефона присутствует в стоп-листе.",
    "Такого отправителя нет.",
    "Ваш аккаунт заблокирован.",
    "Отправитель не должен превышать 15 символов для цифровых номеров и 11 символов для "
    "буквенно-числовых.",
}
#: refusals no text of the GET list describes (docs/compatibility.md names the text chosen)
NO_GET_LITERAL = {
    R.TEXT_REJECTED,
    R.NO_SENDER,
    R.NO_TEXT,
    R.NO_LINK,
    R.VCARD_INCOMPLETE,
    R.SENDER_NOT_MODERATED,
    R.ALREADY_SENT,
    R.TOO_MANY_PARTS,
}


@pytest.mark.parametrize("error", sorted(set(R) - NO_GET_LITERAL, key=lambda e: e.value))
def test_get_refusals_come_from_the_get_list(error: R) -> None:
    """Every refusal the GET list can express is answered with one of its texts."""
    assert recipient_error(error, Dialect.GET, Lang.RU) in GET_LIST


async def _phones(platform: GetPlatform, ids: list[int]) -> dict[int, str]:
    async with platform.runtime.stores.db.read() as conn:
        rows = await conn.execute(
            select(messages.c.id, messages.c.phone).where(messages.c.id.in_(ids))
        )
        return {int(r.id): r.phone for r in rows}


async def test_refused_numbers_keep_their_place_with_a_zero(platform: GetPlatform) -> None:
    """``dadr=a,stopped,b,stopped``: ``id_a,0,id_b,0``; each id belongs to the number in its
    position; only the accepted numbers are charged."""
    await platform.account("ann", balance="100", any_sender=True)
    ann = (await platform.runtime.stores.accounts.find_by_login("ann")).account  # type: ignore[union-attr]
    await platform.runtime.stores.accounts.add_stop(ann.id, "79001234000", platform.clock.now())
    dadr = ["79001230001", "79001234000", "79001230002", "79001234000"]
    body = await platform.get_text(
        **platform.token("ann"), sadr="Shop", text="hi", dadr=",".join(dadr)
    )
    entries = body.split(",")
    assert 4 == len(entries)
    assert ["0", "0"] == [entries[1], entries[3]]
    ids = [int(entries[0]), int(entries[2])]
    assert {ids[0]: dadr[0], ids[1]: dadr[2]} == await _phones(platform, ids)
    assert "98\nRUR" == await platform.get_text(**platform.token("ann"), balance="1")


async def test_one_refused_number_or_all_refused_answer_the_literal(
    platform: GetPlatform,
) -> None:
    """With nothing accepted the answer stays the (first) refusal's literal, as for one
    number: a client comparing the body to the GET list still recognises it."""
    await platform.account("bea", balance="100", any_sender=True)
    bea = (await platform.runtime.stores.accounts.find_by_login("bea")).account  # type: ignore[union-attr]
    await platform.runtime.stores.accounts.add_stop(bea.id, "79001234000", platform.clock.now())
    auth = platform.token("bea")
    stopped = "Номер телефона присутствует в стоп-листе."
    assert stopped == await platform.get_text(**auth, sadr="Shop", text="hi", dadr="79001234000")
    assert stopped == await platform.get_text(
        **auth, sadr="Shop", text="hi", dadr="79001234000,79001234000"
    )
