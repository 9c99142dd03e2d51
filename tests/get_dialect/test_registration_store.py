"""The registration store on SQLite and PostgreSQL: pending accounts stay invisible until
activated."""

from __future__ import annotations

import pytest

from smsrelay.clock import utc
from smsrelay.domain.accounts import Lang
from smsrelay.domain.money import Money
from smsrelay.services.registration import RegistrationForm
from smsrelay.store import Database, SqlAccountStore
from smsrelay.store.registration import SqlRegistrationStore

NOW = utc(2026, 1, 2, 3, 4, 5)
FORM = RegistrationForm(
    registration="1",
    businessman="le",
    login="newco",
    password="pw",
    name="Ivan",
    city="Moscow",
    phone="79537775522",
    e_mail="a@b.ru",
    inn="5551112223",
    juridical_address="Moscow, Red sq. 1",
    company_name="New Company",
)


async def test_a_pending_account_is_invisible_until_activated(database: Database) -> None:
    """create_pending -> login taken but no lookup finds it; activate -> found by login/token."""
    store, accounts = SqlRegistrationStore(database), SqlAccountStore(database)
    assert not await store.login_taken("newco")
    account_id = await store.create_pending(FORM, "hash", "tok-new", NOW)
    assert await store.login_taken("newco")
    assert (None, None, None) == (
        await accounts.find_by_login("newco"),
        await accounts.find_by_token("tok-new"),
        await accounts.get(account_id),
    )
    assert account_id == await store.activate("newco", NOW)
    record = await accounts.find_by_login("newco")
    assert record is not None
    assert (account_id, "hash", "tok-new", False) == (
        record.account.id,
        record.password_hash,
        record.token,
        record.account.locked,
    )


async def test_a_taken_login_is_refused(database: Database) -> None:
    """An operator-made account or an earlier registration holds the login."""
    store, accounts = SqlRegistrationStore(database), SqlAccountStore(database)
    await accounts.create(
        login="newco",
        password_hash="h",
        token=None,
        balance=Money(0),
        lang=Lang.RU,
        any_sender=False,
        parent_id=None,
        now=NOW,
    )
    with pytest.raises(LookupError):
        await store.create_pending(FORM, "hash", "tok-x", NOW)


async def test_activate_only_pending_registrations(database: Database) -> None:
    """Unknown logins and already active ones are not activated (None)."""
    store = SqlRegistrationStore(database)
    assert await store.activate("nobody", NOW) is None
    await store.create_pending(FORM, "hash", "tok-new", NOW)
    assert await store.activate("newco", NOW) is not None
    assert await store.activate("newco", NOW) is None


async def test_list_shows_pending_and_active_accounts(database: Database) -> None:
    """Every account, in id order, with its state and registration type."""
    store = SqlRegistrationStore(database)
    await store.create_pending(FORM, "hash", "tok-1", NOW)
    await store.create_pending(
        RegistrationForm(**{**_fields(FORM), "login": "person", "businessman": "fl"}),
        "h",
        "tok-2",
        NOW,
    )
    await store.activate("person", NOW)
    listing = await store.list_accounts()
    assert [("newco", False, "le"), ("person", True, "fl")] == [
        (a.login, a.active, a.businessman) for a in listing
    ]
    assert NOW == listing[0].created_at


def _fields(form: RegistrationForm) -> dict[str, str]:
    return {name: getattr(form, name) for name in RegistrationForm.__dataclass_fields__}
