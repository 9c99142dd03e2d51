"""The HTTP GET dialect (spec §3): ``/sendsms.php`` and the G5 registration page.

One script selects the operation by its parameters (§3): ``smsid`` -> status (G4), ``balance=1``
-> balance (G6), otherwise send (G1 SMS, G2 Viber, G3 cascade Viber -> SMS). Parameters come
from the query string and, for a POST, also from a form body (the body wins, like PHP's
``$_REQUEST``), parsed tolerantly (:mod:`.lenient_http`). Answers are plain text (§1.3):

* send: one entry per ``dadr`` number, comma-separated in ``dadr`` order: its ``id_sms``, or
  ``0`` where that number was refused (clients pair ids with numbers by position); a refusal
  is one RU literal of the §1.9 GET list. Several numbers: if any number fails a check that
  needs no database (empty or invalid phone) that literal answers and nothing is sent; when
  none was accepted, the first refusal's literal;
* status: the bare §1.7 word (``send`` while pending), or the unknown-id literal;
* balance: ``amount\\ncurrency``.

Document-level refusals (credentials, locked account, malformed values) follow the §1.4 status
policy of the other dialects; per-number refusals are answers (200).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Final, Protocol

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..clock import Clock
from ..domain.accounts import Account, Lang
from ..domain.errors import DocumentError, DocumentErrorCode, DomainError, ValidationError
from ..domain.messages import Channel, check_phone, normalize_phone
from ..domain.status import wire_word
from ..services.commands import Credentials, SendCommand, SendItem, SendRecipient
from ..services.facade import Platform
from ..services.localtime import to_local
from ..services.registration import FIELD_LIMIT, Problem, RegistrationForm
from .app import ApiSettings, read_body
from .errors import document_code, document_status, internal_error
from .lenient_http import parse_query
from .literals import GET_PHONE_MISSING, UNKNOWN_ID_STATE, Dialect, document_error, recipient_error
from .timefmt import parse_wire_datetime

__all__ = [
    "DEFAULT_VALIDITY",
    "HTML_MEDIA_TYPE",
    "PLAIN_MEDIA_TYPE",
    "PROBLEM_TEXTS",
    "REFUSED_MARK",
    "VIBER_KEYS",
    "GetDialect",
    "PlainAnswer",
    "Registrar",
    "parse_send",
    "render_registration",
    "routes",
]

PLAIN_MEDIA_TYPE: Final = "text/plain; charset=utf-8"  # §1.3 [INFERRED]
HTML_MEDIA_TYPE: Final = "text/html; charset=utf-8"
#: G1: "default lifetime 2 days" when ``validity_period`` is absent.
DEFAULT_VALIDITY: Final = timedelta(days=2)
#: G2 parameters carried to the Viber channel in ``SendItem.extra``, under the same names.
VIBER_KEYS: Final = ("sender_viber", "text_viber", "button_viber", "action_viber", "image_viber")
_MAX_ID_SMS: Final = 2**63 - 1
_MAX_CREDENTIAL_CHARS: Final = 256
_CHANNELS: Final = {"sms": Channel.SMS, "viber": Channel.VIBER}
#: G1: the entry of a refused number among accepted ones (§ G1: the npm client's ``,0``)
REFUSED_MARK: Final = "0"


class Registrar(Protocol):
    """What the registration page needs (``services.registration.RegistrationService``)."""

    async def register(self, form: RegistrationForm) -> list[Problem]: ...


class PlainAnswer(Exception):
    """Ends a request early with one plain-text line; ``document`` follows the §1.4 policy."""

    def __init__(self, text: str, *, document: bool = True) -> None:
        super().__init__(text)
        self.text = text
        self.document = document


def _refusal(code: DocumentErrorCode, lang: Lang) -> PlainAnswer:
    return PlainAnswer(document_error(code, Dialect.GET, lang))


def _credentials(params: Mapping[str, str], lang: Lang) -> Credentials:
    """``token``, else ``user`` + ``pwd`` (§1.2); empty values count as absent."""
    token, user, pwd = params.get("token"), params.get("user"), params.get("pwd")
    values = [v for v in (token, user, pwd) if v]
    if any(len(v) > _MAX_CREDENTIAL_CHARS for v in values):
        raise _refusal(DocumentErrorCode.BAD_CREDENTIALS, lang)
    if token:
        return Credentials(token=token)
    if not user or not pwd:
        raise _refusal(DocumentErrorCode.BAD_CREDENTIALS, lang)
    return Credentials(login=user, password=pwd)


def _date(params: Mapping[str, str], key: str, lang: Lang) -> datetime | None:
    try:
        return parse_wire_datetime(params.get(key, ""))
    except ValidationError:
        raise _refusal(DocumentErrorCode.BAD_FORMAT, lang) from None


def _channel(params: Mapping[str, str], key: str, lang: Lang) -> Channel | None:
    word = params.get(key, "").strip().lower()
    if not word:
        return None
    try:
        return _CHANNELS[word]
    except KeyError:
        raise _refusal(DocumentErrorCode.BAD_FORMAT, lang) from None


def parse_send(
    params: Mapping[str, str], account: Account, now: datetime, max_recipients: int
) -> SendCommand:
    """G1-G3 parameters -> one ``SendItem`` with one recipient per ``dadr`` number.

    Raises :class:`PlainAnswer` for what refuses the whole request: no ``dadr`` at all, too many
    numbers, an unknown channel, a malformed date, ``button_viber`` without ``action_viber``
    or the reverse. ``validity_period`` defaults to ``now`` + 2 days in the account's time.
    """
    lang = account.lang
    dadr = params.get("dadr", "").strip().rstrip(",").strip()  # a trailing comma is tolerated
    if not dadr:
        raise PlainAnswer(GET_PHONE_MISSING, document=False)
    phones = [p.strip() for p in dadr.split(",")]
    if len(phones) > max_recipients:
        raise _refusal(DocumentErrorCode.BAD_FORMAT, lang)
    channel = _channel(params, "type_send_1", lang) or Channel.SMS
    fallback = _channel(params, "type_send_2", lang)
    validity = _date(params, "validity_period", lang) or to_local(now + DEFAULT_VALIDITY, account)
    validity_viber = _date(params, "validity_period_viber", lang)
    extra: dict[str, str] = {}
    if channel is Channel.VIBER:
        extra = {key: params[key] for key in VIBER_KEYS if params.get(key, "").strip()}
        if ("button_viber" in extra) != ("action_viber" in extra):  # G2: both or neither
            raise _refusal(DocumentErrorCode.BAD_FORMAT, lang)
    for key in ("name_delivery", "translite"):  # campaign name ([CLIENT]); [WL] translite
        if params.get(key, "").strip():
            extra[key] = params[key].strip()
    recipients = [
        SendRecipient(phone=p, validity_period=validity, validity_period_viber=validity_viber)
        for p in phones
    ]
    item = SendItem(
        recipients=recipients,
        sender=params.get("sadr"),
        text=params.get("text"),
        channel=channel,
        fallback=fallback if channel is Channel.VIBER else None,
        extra=extra,
    )
    return SendCommand(credentials=_credentials(params, lang), items=[item])


class GetDialect:
    """The endpoints of the GET dialect over a :class:`Platform`."""

    __slots__ = (
        "_clock",
        "_default_lang",
        "_error_status",
        "_limit",
        "_max_recipients",
        "_platform",
        "_registrar",
    )

    def __init__(
        self, platform: Platform, registrar: Registrar, clock: Clock, settings: ApiSettings
    ) -> None:
        self._platform = platform
        self._registrar = registrar
        self._clock = clock
        self._limit = settings.max_body_bytes
        self._max_recipients = settings.max_recipients
        self._default_lang = settings.default_lang
        self._error_status = document_status(settings.error_status)

    async def _params(self, request: Request) -> dict[str, str]:
        query: bytes = request.scope.get("query_string", b"")
        if len(query) > self._limit:
            raise _refusal(DocumentErrorCode.BAD_FORMAT, self._default_lang)
        params = parse_query(query)
        if request.method == "POST":
            body = await read_body(request, self._limit)
            if not request.headers.get("content-type", "").lower().startswith("multipart/"):
                params.update(parse_query(body.strip()))
        return params

    # --- /sendsms.php -----------------------------------------------------------------------

    async def sendsms(self, params: Mapping[str, str]) -> str:
        account = await self._platform.authenticate(_credentials(params, self._default_lang))
        if account.locked:
            raise _refusal(DocumentErrorCode.ACCOUNT_LOCKED, account.lang)
        if "smsid" in params:
            return await self._status(account, params["smsid"])
        if params.get("balance", "").strip() == "1":
            view = await self._platform.balance(account)
            return f"{view.money.format()}\n{view.currency}"
        return await self._send(account, params)

    async def _status(self, account: Account, raw: str) -> str:
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 19):
            return UNKNOWN_ID_STATE
        id_sms = int(text)
        if id_sms > _MAX_ID_SMS:
            return UNKNOWN_ID_STATE
        (view,) = await self._platform.states(account, [id_sms])
        return UNKNOWN_ID_STATE if view.status is None else wire_word(view.status)

    async def _send(self, account: Account, params: Mapping[str, str]) -> str:
        command = parse_send(params, account, self._clock.now(), self._max_recipients)
        for rcpt in command.items[0].recipients:
            error = check_phone(normalize_phone(rcpt.phone))
            if error is not None:  # a stateless refusal of any number: nothing is sent
                raise PlainAnswer(recipient_error(error, Dialect.GET, account.lang), document=False)
        results = await self._platform.send(account, command.items)
        if any(r.ok and r.id_sms is not None for r in results):
            # one entry per number in dadr order, REFUSED_MARK for a refused one (§ G1)
            return ",".join(
                str(r.id_sms) if r.ok and r.id_sms is not None else REFUSED_MARK for r in results
            )
        first = next((r.error for r in results if r.error is not None), None)
        if first is None:
            raise RuntimeError("the platform answered no result for the numbers")
        raise PlainAnswer(recipient_error(first, Dialect.GET, account.lang), document=False)

    # --- /ru/reg/registration.html ------------------------------------------------------------

    async def register(self, params: Mapping[str, str]) -> tuple[str, bool]:
        """The page, and whether the registration was received."""
        form = RegistrationForm.from_params(params)
        problems = await self._registrar.register(form)
        return render_registration(form.login, problems), not problems

    # --- endpoints ------------------------------------------------------------------------------

    def _plain(self, text: str, status: int = 200) -> Response:
        return Response(text.encode("utf-8"), status_code=status, media_type=PLAIN_MEDIA_TYPE)

    def sendsms_endpoint(self) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return self._plain(await self.sendsms(await self._params(request)))
            except PlainAnswer as answer:
                return self._plain(answer.text, self._error_status if answer.document else 200)
            except DomainError as exc:
                text = document_error(document_code(exc), Dialect.GET, self._default_lang)
                return self._plain(text, self._error_status)
            except ClientDisconnect:
                return Response(status_code=400)
            except Exception as exc:
                return internal_error(exc, "/sendsms.php")

        return endpoint

    def registration_endpoint(self) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                page, received = await self.register(await self._params(request))
            except (PlainAnswer, DocumentError):
                page, received = render_registration("", [Problem.TOO_LONG]), False
            except ClientDisconnect:
                return Response(status_code=400)
            except Exception as exc:
                return internal_error(exc, "/ru/reg/registration.html")
            status = 200 if received else self._error_status
            return Response(page.encode("utf-8"), status_code=status, media_type=HTML_MEDIA_TYPE)

        return endpoint


# --- the registration page ------------------------------------------------------------------------

PROBLEM_TEXTS: Final[Mapping[Problem, str]] = {
    Problem.NOT_REGISTRATION: "Параметр registration должен быть равен 1.",
    Problem.BUSINESSMAN: (
        "Укажите тип клиента (businessman): le — юридическое лицо,"
        " ip — индивидуальный предприниматель, fl — физическое лицо."
    ),
    Problem.LOGIN: "Укажите логин (до 64 символов, без пробелов).",
    Problem.LOGIN_TAKEN: "Этот логин уже занят.",
    Problem.PASSWORD: "Укажите пароль.",
    Problem.NAME: "Имя должно состоять из букв (кириллица или латиница), не менее 3.",
    Problem.CITY: "Укажите страну и город (не менее 3 символов).",
    Problem.PHONE: "Укажите номер телефона в международном формате, например 79537775522.",
    Problem.E_MAIL: "Укажите правильный адрес электронной почты.",
    Problem.INN: "ИНН должен состоять из 10–12 цифр.",
    Problem.JURIDICAL_ADDRESS: "Юридический адрес должен содержать не менее 10 символов.",
    Problem.COMPANY_NAME: "Название компании должно содержать не менее 5 символов.",
    Problem.OGRNIP: "ОГРНИП должен состоять из 13–15 цифр.",
    Problem.ADDRESS_FACTO: "Фактический адрес должен содержать не менее 10 символов.",
    Problem.TOO_LONG: f"Значение поля не должно быть длиннее {FIELD_LIMIT} символов.",
    Problem.TOO_MANY: "Слишком много заявок с вашего адреса. Попробуйте позже.",
}

_PAGE: Final = (
    '<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="utf-8"><title>{title}</title></head>\n'
    "<body>\n<h1>{title}</h1>\n{body}\n</body>\n</html>\n"
)


def render_registration(login: str, problems: list[Problem]) -> str:
    """A small UTF-8 HTML page: received, or the list of what to correct (one ``<li>`` per
    problem, its ``class`` the problem's code)."""
    if not problems:
        body = (
            f'<p id="received">Заявка на регистрацию принята. Логин: '
            f"<b>{html.escape(login)}</b>.</p>\n"
            "<p>Аккаунт будет активирован после проверки менеджером.</p>"
        )
        return _PAGE.format(title="Заявка принята", body=body)
    items = "\n".join(
        f'<li class="{problem.value}">{html.escape(PROBLEM_TEXTS[problem])}</li>'
        for problem in problems
    )
    body = f'<p id="refused">Заявка не принята. Исправьте, пожалуйста:</p>\n<ul>\n{items}\n</ul>'
    return _PAGE.format(title="Ошибка регистрации", body=body)


def routes(
    platform: Platform, registrar: Registrar, clock: Clock, settings: ApiSettings
) -> list[BaseRoute]:
    """``/sendsms.php`` (GET, and POST with the same parameters) and the G5 page."""
    dialect = GetDialect(platform, registrar, clock, settings)
    return [
        Route("/sendsms.php", dialect.sendsms_endpoint(), methods=["GET", "POST"]),
        Route(
            "/ru/reg/registration.html", dialect.registration_endpoint(), methods=["GET", "POST"]
        ),
    ]
