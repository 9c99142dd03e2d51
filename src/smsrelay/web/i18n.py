"""The interface's two languages. Texts are written in English in the templates and code
(``t("Overview")``); :data:`RU` holds their Russian. Russian is the default, as for the API.
``tests/web/test_i18n.py`` checks that every text used in a template has its translation.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_LANG", "LANGS", "RU", "translate"]

LANGS: Final = ("ru", "en")
DEFAULT_LANG: Final = "ru"


def translate(text: str, lang: str) -> str:
    if lang == "en":
        return text
    return RU.get(text, text)


from ._ru import RU  # noqa: E402  (the catalogue is long; it lives in its own module)
