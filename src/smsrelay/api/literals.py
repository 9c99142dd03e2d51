"""Every wire literal of the Webcom API (spec §1.7-§1.10), as data.

The strings are contracts, byte for byte: clients string-compare them. They are copied from the
spec tables; where the spec has no literal, ours is marked ``# ours`` and follows the house
style of its neighbours (RU ends with a period, EN does not).

Lookups:

* :func:`document_error` - §1.8 document-level ``error`` per dialect and language;
* :func:`recipient_error` - §1.9 per-recipient refusal per dialect and language (EN differs
  between the XML (X1) and JSON (J1) pages in rows 1 and 14; the GET dialect has its own RU
  list from the [WL] Perl client);
* :data:`UNKNOWN_ID_STATE` - the status value for an id the account never sent (§1.7);
* :data:`SENDER_RULE_HINT`, :func:`sender_result` - §1.10 hint and the X6 results;
* :data:`UNLIMITED` - J4 ``num_sms`` for an unlimited count.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from ..domain.accounts import Lang
from ..domain.errors import DocumentErrorCode, RecipientError

__all__ = [
    "DOCUMENT_ERRORS",
    "GET_PHONE_MISSING",
    "RECIPIENT_ERRORS",
    "SENDER_RULE_HINT",
    "SENDER_RULE_HINT_X6_EN",
    "UNKNOWN_ID_STATE",
    "UNLIMITED",
    "Dialect",
    "SenderResult",
    "document_error",
    "recipient_error",
    "sender_result",
]


class Dialect(enum.Enum):
    """The three wire dialects; they differ in some literals."""

    XML = "xml"
    JSON = "json"
    GET = "get"


_Pair = tuple[str, str]  # (RU, EN)
D = DocumentErrorCode
R = RecipientError

# --- §1.8 document-level errors ---------------------------------------------------------------

_XML_DOCUMENT: dict[DocumentErrorCode, _Pair] = {
    D.BAD_FORMAT: ("Неправильный формат XML документа", "Incorrect XML document format"),
    D.BAD_CREDENTIALS: ("Неправильный логин или пароль", "Incorrect login or password"),
    # EN X1 lists only three errors; the JSON pages' EN wording is used for the fourth.
    D.ACCOUNT_LOCKED: ("Ваш аккаунт заблокирован", "Your account is locked"),
    D.NO_POST_DATA: ("POST данные отсутствуют", "POST data is missing"),
}

_JSON_DOCUMENT: dict[DocumentErrorCode, _Pair] = {
    D.BAD_FORMAT: ("Неправильный формат JSON документа", "Incorrect JSON document format"),
    D.BAD_CREDENTIALS: ("Неправильный логин или пароль", "Incorrect login or password"),
    D.ACCOUNT_LOCKED: ("Ваш аккаунт заблокирован", "Your account is locked"),
    D.NO_POST_DATA: ("POST данные отсутствуют", "POST data is missing"),
}

# GET (§1.9, [WL] Perl client): "Неверный", not "Неправильный"; the lock message ends with a
# period. The GET EN strings are undocumented: the JSON EN wording is used.
_GET_DOCUMENT: dict[DocumentErrorCode, _Pair] = {
    D.BAD_FORMAT: ("Неправильный формат запроса", "Incorrect request format"),  # ours
    D.BAD_CREDENTIALS: ("Неверный логин или пароль", "Incorrect login or password"),
    D.ACCOUNT_LOCKED: ("Ваш аккаунт заблокирован.", "Your account is locked"),
    D.NO_POST_DATA: ("Не переданы параметры запроса", "Request parameters are missing"),  # ours
}

DOCUMENT_ERRORS: Mapping[Dialect, Mapping[DocumentErrorCode, _Pair]] = MappingProxyType(
    {
        Dialect.XML: MappingProxyType(_XML_DOCUMENT),
        Dialect.JSON: MappingProxyType(_JSON_DOCUMENT),
        Dialect.GET: MappingProxyType(_GET_DOCUMENT),
    }
)


def _pick(pair: _Pair, lang: Lang) -> str:
    return pair[1] if lang is Lang.EN else pair[0]


def document_error(code: DocumentErrorCode, dialect: Dialect, lang: Lang) -> str:
    """The §1.8 ``error`` text for a refused document."""
    return _pick(DOCUMENT_ERRORS[dialect][code], lang)


# --- §1.9 per-recipient errors ------------------------------------------------------------------

#: RU ([WL], exact) and EN as on the XML page (X1).
_RECIPIENT: dict[RecipientError, _Pair] = {
    R.PLATFORM_OUT_OF_SMS: (
        "У нас закончились SMS. Для разрешения проблемы свяжитесь с менеджером.",
        "We have run out of SMS. Please contact your manager to resolve the problem",
    ),
    R.OUT_OF_MONEY: ("Закончились SMS.", "Out of SMS"),
    R.ACCOUNT_LOCKED: ("Аккаунт заблокирован.", "Account blocked"),
    R.NO_PHONE: ("Укажите номер телефона.", "Specify phone number"),
    R.STOP_LIST: ("Номер телефона присутствует в стоп-листе.", "Phone number is on the stop list"),
    R.DESTINATION_CLOSED_FOR_YOU: (
        "Данное направление закрыто для вас.",
        "This destination is closed for you",
    ),
    R.DESTINATION_CLOSED: ("Данное направление закрыто.", "This destination is closed"),
    R.TEXT_REJECTED: ("Текст SMS отклонен модератором.", "SMS text rejected by moderator"),
    R.NO_SENDER: ("Нет отправителя.", "No sender"),
    R.SENDER_TOO_LONG: (
        "Отправитель не должен превышать 15 символов для цифровых номеров"
        " и 11 символов для буквенно-числовых.",
        "The sender must not exceed 15 characters for numeric numbers"
        " and 11 characters for alphanumeric numbers",
    ),
    R.PHONE_TOO_LONG: (
        "Номер телефона должен быть меньше 15 символов.",
        "Phone number must be less than 15 characters",
    ),
    R.NO_TEXT: ("Нет текста сообщения.", "No message text"),
    R.NO_LINK: ("Нет ссылки.", "No link"),
    R.VCARD_INCOMPLETE: (
        "Укажите название контакта и, хотя бы один параметр для визитной карточки.",
        "Provide the contact name and at least one parameter for a business card",
    ),
    R.NO_SUCH_SENDER: ("Такого отправителя Нет.", "There is no such sender"),  # SIC capital Н
    R.SENDER_NOT_MODERATED: (
        "Отправитель не прошел модерацию.",
        "The sender has not been moderated",
    ),
    # Row 17 has no EN text in the spec.
    R.ALREADY_SENT: (
        "Данное сообщение уже было отправлено.",
        "This message has already been sent",  # ours
    ),
    R.TOO_MANY_PARTS: (  # ours: no spec row
        "Текст сообщения слишком длинный.",
        "Message text is too long",
    ),
}

#: EN on the JSON page (J1) where it differs from X1 (rows 1 and 14).
_RECIPIENT_JSON_EN: dict[RecipientError, str] = {
    R.PLATFORM_OUT_OF_SMS: "We have run out of SMS. Contact your manager to resolve the problem",
    R.VCARD_INCOMPLETE: (
        "Provide the name of the contact and at least one parameter for a business card"
    ),
}

#: GET plain-text RU where the [WL] Perl client's list differs from the XML list (§1.9 end).
_BALANCE_OR_NUMBER = "Проверьте свой баланс или корректность номера получателя."
_RECIPIENT_GET_RU: dict[RecipientError, str] = {
    R.PLATFORM_OUT_OF_SMS: _BALANCE_OR_NUMBER,
    R.OUT_OF_MONEY: _BALANCE_OR_NUMBER,
    R.DESTINATION_CLOSED_FOR_YOU: _BALANCE_OR_NUMBER,
    R.DESTINATION_CLOSED: _BALANCE_OR_NUMBER,
    R.PHONE_TOO_LONG: _BALANCE_OR_NUMBER,  # "check the number": fits; row 11 is not listed
    R.ACCOUNT_LOCKED: "Ваш аккаунт заблокирован.",
    R.NO_SUCH_SENDER: "Такого отправителя нет.",  # lower-case н here
}

#: GET: the recipient parameter (``dadr``) is absent altogether ([WL] Perl client list).
GET_PHONE_MISSING = "Не введен номер телефона."


def _recipient_table(dialect: Dialect, lang: Lang) -> dict[RecipientError, str]:
    table = {error: _pick(pair, lang) for error, pair in _RECIPIENT.items()}
    if dialect is Dialect.JSON and lang is Lang.EN:
        table.update(_RECIPIENT_JSON_EN)
    if dialect is Dialect.GET and lang is Lang.RU:
        table.update(_RECIPIENT_GET_RU)
    return table


RECIPIENT_ERRORS: Mapping[tuple[Dialect, Lang], Mapping[RecipientError, str]] = MappingProxyType(
    {
        (dialect, lang): MappingProxyType(_recipient_table(dialect, lang))
        for dialect in Dialect
        for lang in Lang
    }
)


def recipient_error(error: RecipientError, dialect: Dialect, lang: Lang) -> str:
    """The §1.9 text for one refused recipient."""
    return RECIPIENT_ERRORS[dialect, lang][error]


# --- §1.7 status value for an unknown id --------------------------------------------------------

#: Used in every language: only the RU string is known ([WL]/[CLIENT]).
UNKNOWN_ID_STATE = "Сообщение с таким ID не принималось"

# --- §1.10 sender rule and X6 results -----------------------------------------------------------

SENDER_RULE_HINT: Mapping[Lang, str] = MappingProxyType(
    {
        Lang.EN: "The sender can only consist of 11 Latin characters, numbers, spaces and"
        ' "\'?><,.-_=+/"!@#$%^&*() " or 15 digits',
        Lang.RU: "Отправитель может состоять только из 11-ти латинских символов, цифр, пробелов"
        ' и знаков "\'?><,.-_=+/"!@#$%^&*() " или 15-ти цифр',
    }
)

#: The X6 variant of the EN hint, SIC (no space before the quote, a literal backslash).
SENDER_RULE_HINT_X6_EN = (
    "The sender can only consist of 11 Latin characters, numbers, spaces and"
    ' symbols"\\\'?><,.-_=+/"!@#$%^&*() " or 15 digits'
)


class SenderResult(enum.Enum):
    """Outcome of registering one sender name (X6)."""

    ADDED = "added"
    QUEUED = "queued"
    BAD_NAME = "bad_name"


_SENDER_RESULTS: dict[SenderResult, _Pair] = {
    SenderResult.ADDED: ("Отправитель добавлен.", "Sender added."),  # RU ours
    SenderResult.QUEUED: (
        "Отправитель поставлен в очередь на регистрацию.",  # RU ours
        "The sender is queued for registration.",
    ),
    SenderResult.BAD_NAME: (SENDER_RULE_HINT[Lang.RU], SENDER_RULE_HINT_X6_EN),
}


def sender_result(result: SenderResult, lang: Lang) -> str:
    """The X6 ``<originator>`` text for a registration outcome."""
    return _pick(_SENDER_RESULTS[result], lang)


# --- J4 -------------------------------------------------------------------------------------------

#: ``num_sms`` when the count is unlimited (J4 EN and RU2 examples).
UNLIMITED: Mapping[Lang, str] = MappingProxyType({Lang.EN: "Unlim", Lang.RU: "Безлимит"})
