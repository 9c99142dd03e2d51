"""G5 validation rules, per entity type (pure: no database)."""

from __future__ import annotations

import pytest

from smsrelay.services.registration import Problem, RegistrationForm, validate

#: The spec's example (a legal entity), which must be acceptable as it is.
EXAMPLE = {
    "registration": "1",
    "businessman": "le",
    "login": "login",
    "password": "password",
    "name": "Ivan",
    "city": "City",
    "phone": "79537775522",
    "e_mail": "registration@gmail.com",
    "inn": "5551112223",
    "juridical_address": "juridical_address",
    "company_name": "nameCompany",
}
IP = {**EXAMPLE, "businessman": "ip", "company_name": "", "ogrnip": "3047712345678"}
FL = {
    **EXAMPLE,
    "businessman": "fl",
    "inn": "",
    "juridical_address": "",
    "company_name": "",
    "address_facto": "Москва, ул. Ленина 1",
}


def problems(**params: str) -> list[Problem]:
    return validate(RegistrationForm.from_params(params))


@pytest.mark.parametrize("form", [EXAMPLE, IP, FL], ids=["le", "ip", "fl"])
def test_valid_forms_have_no_problems(form: dict[str, str]) -> None:
    """The docs example (le) and complete ip / fl forms are acceptable."""
    assert [] == problems(**form)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"registration": "0"}, Problem.NOT_REGISTRATION),
        ({"businessman": "xx"}, Problem.BUSINESSMAN),
        ({"login": ""}, Problem.LOGIN),
        ({"login": "has space"}, Problem.LOGIN),
        ({"password": ""}, Problem.PASSWORD),
        ({"name": "Iv"}, Problem.NAME),
        ({"name": "Ivan2"}, Problem.NAME),
        ({"city": "Ab"}, Problem.CITY),
        ({"phone": "12"}, Problem.PHONE),
        ({"e_mail": "not-an-email"}, Problem.E_MAIL),
        ({"e_mail": "a@b"}, Problem.E_MAIL),
        ({"inn": "123456789"}, Problem.INN),
        ({"inn": "12345678901a"}, Problem.INN),
        ({"juridical_address": "short"}, Problem.JURIDICAL_ADDRESS),
        ({"company_name": "Abcd"}, Problem.COMPANY_NAME),
        ({"city": "x" * 300}, Problem.TOO_LONG),
    ],
)
def test_each_rule_of_a_legal_entity(change: dict[str, str], expected: Problem) -> None:
    """One wrong field gives exactly its problem."""
    assert [expected] == problems(**{**EXAMPLE, **change})


def test_names_may_be_cyrillic_with_spaces_and_hyphens() -> None:
    """ "Анна-Мария Петрова" is a name; three letters at least, Cyrillic or Latin."""
    assert [] == problems(**{**EXAMPLE, "name": "Анна-Мария Петрова"})
    assert [] == problems(**{**EXAMPLE, "name": "Ёжи"})


def test_entrepreneur_needs_ogrnip_of_13_to_15_digits() -> None:
    """ip: OGRNIP 13-15 digits, INN and legal address as for le, no company name needed."""
    assert [Problem.OGRNIP] == problems(**{**IP, "ogrnip": "123456789012"})
    assert [Problem.OGRNIP] == problems(**{**IP, "ogrnip": "1234567890123456"})
    assert [Problem.INN, Problem.JURIDICAL_ADDRESS] == problems(
        **{**IP, "inn": "", "juridical_address": ""}
    )


def test_natural_person_needs_the_actual_address_only() -> None:
    """fl: address_facto of 10 characters at least; no INN, legal address or company."""
    assert [Problem.ADDRESS_FACTO] == problems(**{**FL, "address_facto": "Moscow"})


def test_an_empty_request_lists_every_problem() -> None:
    """Nothing given: every always-required field is listed, in order."""
    assert [
        Problem.NOT_REGISTRATION,
        Problem.BUSINESSMAN,
        Problem.LOGIN,
        Problem.PASSWORD,
        Problem.NAME,
        Problem.CITY,
        Problem.PHONE,
        Problem.E_MAIL,
    ] == problems()
