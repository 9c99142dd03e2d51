"""Number-base checking over HTTP (spec §6): C1 ``/api/checking/create``, C2
``/api/checking/get-status``, and our ``/api/checking/get-results`` (docs/checking.md).

``Authorization: Bearer <token>`` (the account's API token); ``multipart/form-data`` bodies
(``application/x-www-form-urlencoded`` is read too). Answers are JSON: ``{"success": true,
"data": ...}``, errors ``{"name": "Bad Request", "message": "Wrong data ..."}`` with 400, or
``{"name": "Unauthorized", ...}`` with 401.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message

from ..domain.accounts import Account
from ..domain.errors import DomainError
from ..services.checking import MAX_PHONES, CheckError, CheckingService, JobView
from ..services.commands import Credentials
from ..services.facade import Platform
from .errors import internal_error

__all__ = ["routes"]

#: Largest body read (a phones_file of MAX_PHONES numbers fits).
MAX_BODY: Final = MAX_PHONES * 20 + 64 * 1024


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _bad(message: str) -> Response:
    return _json({"name": "Bad Request", "message": message, "status": 400}, 400)


_UNAUTHORIZED = {
    "name": "Unauthorized",
    "message": "Your request was made with invalid credentials.",
    "status": 401,
}


def _job(job: JobView) -> dict[str, Any]:
    return {
        "id": job.id,
        "type": job.kind.value,
        "name": job.name,
        "status": job.state.value,
        "total_phones": job.total_phones,
        "price": str(job.cost),
    }


class _Checking:
    def __init__(self, platform: Platform, service: CheckingService) -> None:
        self._platform = platform
        self._service = service

    async def _account(self, request: Request) -> Account | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or len(token) > 256:
            return None
        try:
            account = await self._platform.authenticate(Credentials(token=token.strip()))
        except DomainError:
            return None
        return None if account.locked else account

    async def _fields(self, request: Request) -> dict[str, list[str]]:
        from .app import read_body

        try:
            body = await read_body(request, MAX_BODY)
        except DomainError:
            raise CheckError("Wrong data: body too large") from None
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        out: dict[str, list[str]] = {}
        bounded = Request(request.scope, replay)
        async with bounded.form(max_files=2, max_fields=1000) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read(MAX_BODY + 1)
                    if len(data) > MAX_BODY:
                        raise CheckError("Wrong data: file too large")
                    text = data.decode("utf-8", errors="replace")
                else:
                    text = value
                out.setdefault(key.removesuffix("[]"), []).append(text)
        return out

    async def endpoint(self, request: Request, operation: str) -> Response:
        try:
            if request.method != "POST":
                return _bad("Wrong data: POST required")
            account = await self._account(request)
            if account is None:
                return _json(_UNAUTHORIZED, 401)
            fields = await self._fields(request)
            if operation == "create":
                return await self._create(account, fields)
            if operation == "status":
                return await self._status(account, fields)
            return await self._results(account, fields)
        except CheckError as exc:
            return _bad(str(exc))
        except (MultiPartException, HTTPException):
            return _bad("Wrong data: body")
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as exc:
            return internal_error(exc, f"/api/checking/{operation}")

    async def _create(self, account: Account, fields: dict[str, list[str]]) -> Response:
        phones = "\n".join(fields.get("phones", []) + fields.get("phones_file", []))
        job = await self._service.create(
            account, (fields.get("type") or [""])[0], (fields.get("name") or [""])[0], phones
        )
        return _json({"success": True, "data": _job(job)})

    async def _status(self, account: Account, fields: dict[str, list[str]]) -> Response:
        ids = _ids(fields.get("ids", []))
        jobs = await self._service.status(account, ids)
        return _json({"success": True, "data": [_job(j) for j in jobs]})

    async def _results(self, account: Account, fields: dict[str, list[str]]) -> Response:
        [job_id] = _ids(fields.get("id", [])[:1]) or [0]
        job = await self._service.results(account, job_id)
        if job is None:
            return _bad("Wrong data: id")
        data = _job(job)
        data["results"] = [{"phone": p, "result": r.value} for p, r in job.results]
        return _json({"success": True, "data": data})


def _ids(raw: list[str]) -> list[int]:
    ids: list[int] = []
    for chunk in raw:
        for part in chunk.replace(",", " ").split():
            if not part.isdigit() or len(part) > 18:
                raise CheckError("Wrong data: ids")
            ids.append(int(part))
    if not ids or len(ids) > 1000:
        raise CheckError("Wrong data: ids")
    return ids


def routes(platform: Platform, service: CheckingService) -> list[BaseRoute]:
    api = _Checking(platform, service)

    async def create(request: Request) -> Response:
        return await api.endpoint(request, "create")

    async def status(request: Request) -> Response:
        return await api.endpoint(request, "status")

    async def results(request: Request) -> Response:
        return await api.endpoint(request, "results")

    methods = ["GET", "POST"]
    return [
        Route("/api/checking/create", create, methods=methods),
        Route("/api/checking/get-status", status, methods=methods),
        Route("/api/checking/get-results", results, methods=methods),
    ]
