"""W6 ``POST /xml/get_state.php``: the client sets or reads its X3 status webhook URL itself.

Request (spec §7 W6, [WL])::

    <request><security>...</security>
      <get_state type="set">http://site.ru/state.php</get_state>     (or type="get")
    </request>

Answer: ``<response><get_state>URL</get_state></response>`` (the URL now in force; empty when
none). ``type`` missing means ``get``. ``set`` with an empty URL removes the webhook. A URL the
platform refuses (not http(s), too long, or resolving to an address the operator does not
allow) is answered with the "incorrect XML document format" literal; a locked account with
"your account is locked", as the other XML endpoints but X1. A webhook first set here
pushes XML (X3, ``<response>`` root); one set from the CLI keeps its format.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from starlette.routing import BaseRoute, Route

from ..domain.errors import DocumentErrorCode
from ..services.facade import Platform
from ..services.webhooks import WebhookFormat, WebhookRefused, WebhookService
from .errors import DocumentRefusal
from .xml_core import XmlEndpoints, attr, credentials_of, element

__all__ = ["routes"]

PATH = "/xml/get_state.php"
_METHODS = ["GET", "POST"]  # GET is accepted only to answer "POST data is missing"


def routes(platform: Platform, webhooks: WebhookService, xml: XmlEndpoints) -> list[BaseRoute]:
    """The W6 route, for ``bootstrap``'s feature wiring."""

    async def get_state(root: Element) -> list[str]:
        account = await platform.authenticate(credentials_of(root))
        if account.locked:  # as every XML endpoint but X1
            raise DocumentRefusal(DocumentErrorCode.ACCOUNT_LOCKED, account.lang)
        request = root.find("get_state")
        if request is None:
            raise DocumentRefusal(DocumentErrorCode.BAD_FORMAT, account.lang)
        kind = (attr(request, "type") or "get").strip().lower()
        if kind == "get":
            config = await webhooks.get(account)
        elif kind == "set":
            current = await webhooks.get(account)
            try:
                config = await webhooks.set(
                    account,
                    request.text or "",
                    format=None if current is not None else WebhookFormat.XML,
                )
            except WebhookRefused as exc:
                raise DocumentRefusal(DocumentErrorCode.BAD_FORMAT, account.lang) from exc
        else:
            raise DocumentRefusal(DocumentErrorCode.BAD_FORMAT, account.lang)
        return [element("get_state", None, config.url if config is not None else "")]

    return [Route(PATH, xml.wrap(PATH, get_state), methods=_METHODS)]
