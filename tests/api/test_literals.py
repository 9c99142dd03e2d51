"""The wire literals against the spec's strings (copied here from webcom-api.md §1.7-§1.10)."""

from __future__ import annotations

import pytest

from smsrelay.api.literals import (
    GET_PHONE_MISSING,
    SENDER_RULE_HINT,
    SENDER_RULE_HINT_X6_EN,
    UNKNOWN_ID_STATE,
    UNLIMITED,
    Dialect,
    SenderResult,
    document_error,
    recipient_error,
    sender_result,
)
from smsrelay.domain.accounts import Lang
from smsrelay.domain.errors import DocumentErrorCode as D
from smsrelay.domain.errors import RecipientError as R

DOCUMENT_CASES = [
    (D.BAD_FORMAT, Dialect.XML, Lang.EN, "Incorrect XML document format"),
    (D.BAD_FORMAT, Dialect.XML, Lang.RU, "Неправильный формат XML документа"),
    (D.BAD_CREDENTIALS, Dialect.XML, Lang.EN, "Incorrect login or password"),
    (D.BAD_CREDENTIALS, Dialect.XML, Lang.RU, "Неправильный логин или пароль"),
    (D.NO_POST_DATA, Dialect.XML, Lang.EN, "POST data is missing"),
    (D.NO_POST_DATA, Dialect.XML, Lang.RU, "POST данные отсутствуют"),
    (D.ACCOUNT_LOCKED, Dialect.XML, Lang.RU, "Ваш аккаунт заблокирован"),
    (D.ACCOUNT_LOCKED, Dialect.XML, Lang.EN, "Your account is locked"),
    (D.BAD_FORMAT, Dialect.JSON, Lang.EN, "Incorrect JSON document format"),
    (D.BAD_FORMAT, Dialect.JSON, Lang.RU, "Неправильный формат JSON документа"),
    (D.ACCOUNT_LOCKED, Dialect.JSON, Lang.EN, "Your account is locked"),
    (D.ACCOUNT_LOCKED, Dialect.JSON, Lang.RU, "Ваш аккаунт заблокирован"),
    (D.BAD_CREDENTIALS, Dialect.JSON, Lang.EN, "Incorrect login or password"),
    (D.BAD_CREDENTIALS, Dialect.JSON, Lang.RU, "Неправильный логин или пароль"),
    (D.NO_POST_DATA, Dialect.JSON, Lang.EN, "POST data is missing"),
    (D.NO_POST_DATA, Dialect.JSON, Lang.RU, "POST данные отсутствуют"),
    (D.BAD_CREDENTIALS, Dialect.GET, Lang.RU, "Неверный логин или пароль"),
    (D.ACCOUNT_LOCKED, Dialect.GET, Lang.RU, "Ваш аккаунт заблокирован."),
]


@pytest.mark.parametrize(("code", "dialect", "lang", "expected"), DOCUMENT_CASES)
def test_document_error_literals_match_the_spec(
    code: D, dialect: Dialect, lang: Lang, expected: str
) -> None:
    """Each §1.8 document-level error reads exactly as in the spec."""
    assert expected == document_error(code, dialect, lang)


def test_every_document_error_has_a_literal_in_every_dialect_and_language() -> None:
    """The table is total: no dialect can meet a code without a text."""
    texts = {document_error(c, d, lang) for c in D for d in Dialect for lang in Lang}
    assert "" not in texts


# Row: error, RU, EN X1, EN J1 (None = same as X1)
RECIPIENT_ROWS = [
    (
        R.PLATFORM_OUT_OF_SMS,
        "У нас закончились SMS. Для разрешения проблемы свяжитесь с менеджером.",
        "We have run out of SMS. Please contact your manager to resolve the problem",
        "We have run out of SMS. Contact your manager to resolve the problem",
    ),
    (R.OUT_OF_MONEY, "Закончились SMS.", "Out of SMS", None),
    (R.ACCOUNT_LOCKED, "Аккаунт заблокирован.", "Account blocked", None),
    (R.NO_PHONE, "Укажите номер телефона.", "Specify phone number", None),
    (
        R.STOP_LIST,
        "Номер телефона присутствует в стоп-листе.",
        "Phone number is on the stop list",
        None,
    ),
    (
        R.DESTINATION_CLOSED_FOR_YOU,
        "Данное направление закрыто для вас.",
        "This destination is closed for you",
        None,
    ),
    (R.DESTINATION_CLOSED, "Данное направление закрыто.", "This destination is closed", None),
    (R.TEXT_REJECTED, "Текст SMS отклонен модератором.", "SMS text rejected by moderator", None),
    (R.NO_SENDER, "Нет отправителя.", "No sender", None),
    (
        R.SENDER_TOO_LONG,
        "Отправитель не должен превышать 15 символов для цифровых номеров и 11 символов для "
        "буквенно-числовых.",
        "The sender must not exceed 15 characters for numeric numbers and 11 characters for "
        "alphanumeric numbers",
        None,
    ),
    (
        R.PHONE_TOO_LONG,
        "Номер телефона должен быть меньше 15 символов.",
        "Phone number must be less than 15 characters",
        None,
    ),
    (R.NO_TEXT, "Нет текста сообщения.", "No message text", None),
    (R.NO_LINK, "Нет ссылки.", "No link", None),
    (
        R.VCARD_INCOMPLETE,
        "Укажите название контакта и, хотя бы один параметр для визитной карточки.",
        "Provide the contact name and at least one parameter for a business card",
        "Provide the name of the contact and at least one parameter for a business card",
    ),
    (R.NO_SUCH_SENDER, "Такого отправителя Нет.", "There is no such sender", None),
    (
        R.SENDER_NOT_MODERATED,
        "Отправитель не прошел модерацию.",
        "The sender has not been moderated",
        None,
    ),
]


@pytest.mark.parametrize(("error", "ru", "en_x1", "en_j1"), RECIPIENT_ROWS)
def test_recipient_error_literals_match_the_spec(
    error: R, ru: str, en_x1: str, en_j1: str | None
) -> None:
    """§1.9: RU is the same in XML and JSON; EN differs between X1 and J1 in rows 1 and 14."""
    assert ru == recipient_error(error, Dialect.XML, Lang.RU)
    assert ru == recipient_error(error, Dialect.JSON, Lang.RU)
    assert en_x1 == recipient_error(error, Dialect.XML, Lang.EN)
    assert (en_j1 or en_x1) == recipient_error(error, Dialect.JSON, Lang.EN)


def test_row_17_already_sent_has_the_spec_ru_text() -> None:
    """Row 17 ([WL] 2020+) in RU as the spec gives it."""
    assert "Данное сообщение уже было отправлено." == recipient_error(
        R.ALREADY_SENT, Dialect.JSON, Lang.RU
    )


@pytest.mark.parametrize("dialect", list(Dialect))
def test_our_own_literals_follow_the_house_punctuation(dialect: Dialect) -> None:
    """Texts the spec lacks (too many parts, EN of row 17) end RU with a period, EN without."""
    for error in (R.TOO_MANY_PARTS, R.ALREADY_SENT):
        assert recipient_error(error, dialect, Lang.EN)[-1] != "."
    assert "Текст сообщения слишком длинный." == recipient_error(
        R.TOO_MANY_PARTS, Dialect.JSON, Lang.RU
    )
    assert "Message text is too long" == recipient_error(R.TOO_MANY_PARTS, Dialect.JSON, Lang.EN)


GET_RU = [
    (R.NO_PHONE, "Укажите номер телефона."),
    (R.STOP_LIST, "Номер телефона присутствует в стоп-листе."),
    (R.NO_SUCH_SENDER, "Такого отправителя нет."),
    (R.ACCOUNT_LOCKED, "Ваш аккаунт заблокирован."),
    (R.OUT_OF_MONEY, "Проверьте свой баланс или корректность номера получателя."),
    (R.DESTINATION_CLOSED, "Проверьте свой баланс или корректность номера получателя."),
    (
        R.SENDER_TOO_LONG,
        "Отправитель не должен превышать 15 символов для цифровых номеров и 11 символов для "
        "буквенно-числовых.",
    ),
]


@pytest.mark.parametrize(("error", "expected"), GET_RU)
def test_get_dialect_uses_the_perl_client_list(error: R, expected: str) -> None:
    """The GET plain-text RU list ([WL] Perl client) differs from the XML list in places."""
    assert expected == recipient_error(error, Dialect.GET, Lang.RU)


def test_get_phone_parameter_missing_literal() -> None:
    """The GET list's text for a missing recipient parameter."""
    assert "Не введен номер телефона." == GET_PHONE_MISSING


def test_every_recipient_error_has_a_text_everywhere() -> None:
    """Every refusal has a non-empty text in every dialect and language."""
    for dialect in Dialect:
        for lang in Lang:
            for error in R:
                assert "" != recipient_error(error, dialect, lang)


def test_unknown_id_state_literal() -> None:
    """§1.7: the status value for an id that was never accepted."""
    assert "Сообщение с таким ID не принималось" == UNKNOWN_ID_STATE


def test_sender_rule_hints() -> None:
    """§1.10 hint texts, and the X6 EN variant with its SIC spacing and backslash."""
    assert (
        "The sender can only consist of 11 Latin characters, numbers, spaces and "
        '"\'?><,.-_=+/"!@#$%^&*() " or 15 digits'
    ) == SENDER_RULE_HINT[Lang.EN]
    assert (
        "Отправитель может состоять только из 11-ти латинских символов, цифр, пробелов и знаков "
        '"\'?><,.-_=+/"!@#$%^&*() " или 15-ти цифр'
    ) == SENDER_RULE_HINT[Lang.RU]
    assert (
        "The sender can only consist of 11 Latin characters, numbers, spaces and "
        'symbols"\\\'?><,.-_=+/"!@#$%^&*() " or 15 digits'
    ) == SENDER_RULE_HINT_X6_EN


def test_x6_result_literals() -> None:
    """X6 EN results as in the spec; the bad-name result is the rule hint."""
    assert "Sender added." == sender_result(SenderResult.ADDED, Lang.EN)
    assert "The sender is queued for registration." == sender_result(SenderResult.QUEUED, Lang.EN)
    assert SENDER_RULE_HINT_X6_EN == sender_result(SenderResult.BAD_NAME, Lang.EN)
    assert SENDER_RULE_HINT[Lang.RU] == sender_result(SenderResult.BAD_NAME, Lang.RU)


def test_unlimited_literals() -> None:
    """J4 ``num_sms`` for an unlimited count, EN and RU2."""
    assert {Lang.EN: "Unlim", Lang.RU: "Безлимит"} == dict(UNLIMITED)
