"""Operator use cases (the CLI's): accounts, money, senders, prices."""

from __future__ import annotations

from ..clock import Clock
from ..domain.acceptance import MAX_RESELLER_DEPTH
from ..domain.accounts import Account, Lang
from ..domain.messages import Channel
from ..domain.money import Money
from ..domain.pricing import PriceEntry
from ..domain.senders import Sender, SenderState
from .auth import hash_password, new_token
from .ports import AccountStore

__all__ = ["AdminError", "AdminService"]


class AdminError(Exception):
    """An operator command cannot be carried out (one clear line for the CLI)."""


class AdminService:
    def __init__(self, accounts: AccountStore, clock: Clock) -> None:
        self._accounts = accounts
        self._clock = clock

    async def _account(self, login: str) -> Account:
        record = await self._accounts.find_by_login(login)
        if record is None:
            raise AdminError(f"no account with login {login!r}")
        return record.account

    async def create_account(
        self,
        login: str,
        password: str,
        *,
        token: str | None = None,
        balance: Money = Money(0),
        lang: Lang = Lang.RU,
        any_sender: bool = False,
        parent: str | None = None,
    ) -> tuple[Account, str]:
        if not login or len(login) > 64:
            raise AdminError("login must be 1..64 characters")
        if not password:
            raise AdminError("password must not be empty")
        parent_id = None
        if parent:
            above = await self._account(parent)
            parent_id, depth = above.id, 1
            while above.parent_id is not None:
                found = await self._accounts.get(above.parent_id)
                if found is None:
                    break
                above, depth = found, depth + 1
            if depth > MAX_RESELLER_DEPTH:
                raise AdminError(
                    f"resellers nest at most {MAX_RESELLER_DEPTH} levels above an account"
                )
        token = token or new_token()
        try:
            account = await self._accounts.create(
                login=login,
                password_hash=hash_password(password),
                token=token,
                balance=balance,
                lang=lang,
                any_sender=any_sender,
                parent_id=parent_id,
                now=self._clock.now(),
            )
        except LookupError as exc:
            raise AdminError(f"login or token already taken: {login!r}") from exc
        return account, token

    async def topup(self, login: str, amount: Money, kind: str = "manager") -> Money:
        account = await self._account(login)
        await self._accounts.credit(account.id, amount, kind, self._clock.now())
        again = await self._accounts.get(account.id)
        assert again is not None
        return again.balance

    async def set_locked(self, login: str, locked: bool) -> None:
        await self._accounts.set_locked((await self._account(login)).id, locked)

    async def add_sender(self, login: str, name: str, approve: bool) -> Sender:
        from ..domain.senders import is_valid_sender

        if not is_valid_sender(name):
            raise AdminError(
                "The sender can only consist of 11 Latin characters, numbers, spaces and "
                '"\'?><,.-_=+/"!@#$%^&*() " or 15 digits'
            )
        account = await self._account(login)
        sender = Sender(name, SenderState.COMPLETED if approve else SenderState.ORDER)
        await self._accounts.set_sender(account.id, sender)
        return sender

    async def set_price(self, prefix: str, price: Money, area: str, channel: Channel) -> PriceEntry:
        try:
            entry = PriceEntry(prefix=prefix, price=price, area=area, channel=channel)
        except ValueError as exc:
            raise AdminError(str(exc)) from exc
        await self._accounts.set_price(entry)
        return entry
