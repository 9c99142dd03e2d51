"""Our extension beside X20: a reseller prices its sub-accounts (docs/billing.md).

``POST /xml/tariffs.php`` (XML dialect, the usual ``<security>`` block), a document of
operations applied in order, then the reseller's tariffs listed::

    <request>
      <security><login value="reseller"/><password value="secret"/></security>
      <tariff name="retail">                       <!-- created when missing -->
        <price prefix="7" price="1.00" area="Russia" channel="sms"/>
      </tariff>
      <assign login_client="shop" tariff="retail"/> <!-- tariff="": the reseller's default -->
      <statement since="2026-12-01" until="2027-01-01"/>  <!-- optional; UTC dates -->
    </request>

Answer::

    <response>
      <assign login_client="shop" result="OK"/>     <!-- or NO_USER / NO_TARIFF / BAD_PRICE -->
      <tariff name="retail" accounts="shop"><price prefix="7" price="1" area="Russia"
        channel="sms"/></tariff>
      <statement><client login="shop" parts="6" income="6" cost="4.2" margin="1.8"/></statement>
    </response>

A bad price inside a ``<tariff>`` answers ``<tariff name=".." result="BAD_PRICE"/>`` and the
other operations go on. Webcom's own endpoints are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final
from xml.etree.ElementTree import Element

from starlette.routing import BaseRoute, Route

from ..domain.accounts import Account
from ..domain.errors import DocumentErrorCode
from ..services.facade import Platform
from ..services.tariffs import StatementLine, TariffError, TariffService, price_entry
from .errors import DocumentRefusal
from .xml_core import XmlEndpoints, attr, element
from .xml_send import account_of

__all__ = ["routes"]

#: Operations per document, prices per tariff element (bounded peer input).
MAX_OPERATIONS: Final = 1000
_METHODS = ["GET", "POST"]


def _nested(tag: str, attrs: dict[str, object | None], children: Sequence[str]) -> str:
    head = element(tag, attrs)[: -len(" />")]
    return f"{head}>{''.join(children)}</{tag}>"


def _date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.strptime(raw.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


class _Tariffs:
    def __init__(self, platform: Platform, tariffs: TariffService) -> None:
        self._platform = platform
        self._tariffs = tariffs

    async def handle(self, root: Element) -> list[str]:
        account = await account_of(self._platform, root)
        operations = [el for el in root if el.tag in ("tariff", "assign", "statement")]
        if len(operations) > MAX_OPERATIONS:
            raise DocumentRefusal(DocumentErrorCode.BAD_FORMAT, account.lang)
        out: list[str] = []
        for el in operations:
            if el.tag == "tariff":
                failed = await self._tariff(account, el)
                if failed:
                    out.append(element("tariff", {"name": attr(el, "name"), "result": failed}))
            elif el.tag == "assign":
                out.append(await self._assign(account, el))
            else:
                lines = await self._tariffs.statement(
                    account, _date(attr(el, "since")), _date(attr(el, "until"))
                )
                out.append(_nested("statement", {}, [_line(x) for x in lines]))
        for name in await self._tariffs.names(account):
            info = await self._tariffs.show(name, account)
            prices = [
                element(
                    "price",
                    {
                        "prefix": e.prefix,
                        "price": e.price,
                        "area": e.area,
                        "channel": e.channel.value,
                    },
                )
                for e in info.entries
            ]
            out.append(
                _nested("tariff", {"name": name, "accounts": ",".join(info.accounts)}, prices)
            )
        return out

    async def _tariff(self, account: Account, el: Element) -> str | None:
        name = (attr(el, "name") or "").strip()
        prices = list(el.iter("price"))
        if len(prices) > MAX_OPERATIONS:
            return "BAD_PRICE"
        try:
            entries = [
                price_entry(
                    (attr(p, "prefix") or "").strip(),
                    (attr(p, "price") or "").strip(),
                    (attr(p, "area") or "").strip(),
                    (attr(p, "channel") or "sms").strip().lower(),
                )
                for p in prices
            ]
            if name not in await self._tariffs.names(account):
                await self._tariffs.create(name, account)
            for entry in entries:
                await self._tariffs.set_price(name, entry, account)
        except TariffError:
            return "BAD_PRICE"
        return None

    async def _assign(self, account: Account, el: Element) -> str:
        login = (attr(el, "login_client") or "").strip()
        name = (attr(el, "tariff") or "").strip() or None
        try:
            await self._tariffs.assign(login, name, account)
            result = "OK"
        except TariffError as exc:
            result = "NO_TARIFF" if str(exc).startswith("no tariff") else "NO_USER"
        return element("assign", {"login_client": login, "result": result})


def _line(x: StatementLine) -> str:
    return element(
        "client",
        {
            "login": x.login,
            "parts": x.parts,
            "income": x.income,
            "cost": x.cost,
            "margin": x.margin,
        },
    )


def routes(platform: Platform, xml: XmlEndpoints, tariffs: TariffService) -> list[BaseRoute]:
    api = _Tariffs(platform, tariffs)
    return [Route("/xml/tariffs.php", xml.wrap("/xml/tariffs.php", api.handle), methods=_METHODS)]
