"""Our extension: one text to a whole subscriber base, ``POST /json/send_base.php``
(docs/campaigns.md; the spec has no X1/J1 shape for it).

Body (JSON, J1 credentials)::

    {"login": "...", "password": "...", "id_base": 1234, "sender": "Shop",
     "text": "Hello, {name}!", "name_delivery": "Autumn", "translite": "1",
     "time_send": "2030-01-01 10:00"}

Answer: ``{"information": [{"phone": "79001234567", "state": "send", "id_sms": 1}, {"phone":
"...", "error": "<§1.9 literal>"}]}`` in the base's phone order; a base that is not the
account's: ``{"error": "Базы с таким номером не существует"}`` (the [WL] bases literal, §1.8).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.accounts import Lang
from ..domain.errors import DocumentError, DocumentErrorCode, DomainError
from ..services.campaigns import CampaignError, CampaignService
from ..services.facade import Platform
from . import json_dialect
from .errors import internal_error
from .literals import Dialect, document_error, recipient_error

__all__ = ["NO_BASE", "routes"]

NO_BASE: Final = "Базы с таким номером не существует"
MAX_BODY: Final = 64 * 1024


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json; charset=utf-8")


def _text(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


class _Campaigns:
    def __init__(self, platform: Platform, campaigns: CampaignService) -> None:
        self._platform = platform
        self._campaigns = campaigns

    async def endpoint(self, request: Request) -> Response:
        from .app import read_body

        lang: Lang | None = None
        try:
            if request.method != "POST":
                raise DocumentError(DocumentErrorCode.NO_POST_DATA)
            doc = json_dialect.load_document(await read_body(request, MAX_BODY))
            if not isinstance(doc, dict):
                raise DocumentError(DocumentErrorCode.BAD_FORMAT)
            account = await self._platform.authenticate(json_dialect.parse_credentials(doc))
            lang = account.lang
            if account.locked:
                raise DocumentError(DocumentErrorCode.ACCOUNT_LOCKED)
            base = _text(doc, "id_base") or ""
            if not base.isdigit() or len(base) > 18:
                return _json({"error": NO_BASE})
            when = _text(doc, "time_send")
            try:
                time_send = datetime.strptime(when, "%Y-%m-%d %H:%M") if when else None
            except ValueError:
                raise DocumentError(DocumentErrorCode.BAD_FORMAT) from None
            sent = await self._campaigns.send_to_base(
                account,
                int(base),
                _text(doc, "sender") or "",
                _text(doc, "text") or "",
                name_delivery=_text(doc, "name_delivery"),
                translite=(_text(doc, "translite") or "") in ("1", "true"),
                time_send=time_send,
            )
        except CampaignError:
            return _json({"error": NO_BASE})
        except DocumentError as exc:
            return _json({"error": document_error(exc.code, Dialect.JSON, lang or Lang.RU)})
        except DomainError:
            return _json(
                {
                    "error": document_error(
                        DocumentErrorCode.BAD_FORMAT, Dialect.JSON, lang or Lang.RU
                    )
                }
            )
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as exc:
            return internal_error(exc, "/json/send_base.php")
        info: list[dict[str, Any]] = []
        for s in sent:
            r = s.result
            if r.error is not None:
                info.append(
                    {
                        "phone": s.phone,
                        "error": recipient_error(r.error, Dialect.JSON, account.lang),
                    }
                )
            else:
                info.append({"phone": s.phone, "state": "send", "id_sms": r.id_sms})
        return _json({"information": info})


def routes(platform: Platform, campaigns: CampaignService) -> list[BaseRoute]:
    api = _Campaigns(platform, campaigns)
    return [Route("/json/send_base.php", api.endpoint, methods=["GET", "POST"])]
