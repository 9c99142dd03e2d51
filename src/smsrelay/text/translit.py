"""Cyrillic -> Latin transliteration for ``translite=1`` (spec [WL] ``message/translite``).

A documented table rather than a dependency: the one scheme SMS gateways commonly use for
Russian (close to the passport scheme of ICAO Doc 9303 / Russian order 310, with ``ц`` -> ``ts``,
``щ`` -> ``sch``, ``й`` -> ``y``, ``ъ``/``ь`` dropped), plus the Ukrainian and Belarusian
letters. Every letter maps to GSM 03.38 default-alphabet characters, so a text of Cyrillic,
digits and ASCII punctuation transliterates to GSM 7-bit and is counted, priced and encoded as
such. Characters outside the table pass through unchanged.

Capitals: a multi-letter spelling is capitalised (``Щука`` -> ``Schuka``) unless the next
letter is a capital too (``ЩУКА`` -> ``SCHUKA``), so words in capitals stay in capitals.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["TABLE", "transliterate"]

_LOWER: Final = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Ukrainian, Belarusian
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
}  # fmt: skip

#: The whole table, lower and upper case (upper case before the capitalisation rule).
TABLE: Final = MappingProxyType(
    {**_LOWER, **{k.upper(): v.capitalize() for k, v in _LOWER.items()}}
)


def transliterate(text: str) -> str:
    """``text`` with every Cyrillic letter of :data:`TABLE` spelt in Latin letters."""
    out: list[str] = []
    table = TABLE
    last = len(text) - 1
    for i, ch in enumerate(text):
        latin = table.get(ch)
        if latin is None:
            out.append(ch)
            continue
        if len(latin) > 1 and ch.isupper():
            neighbour = text[i + 1] if i < last else (text[i - 1] if i > 0 else "")
            if neighbour.isupper():
                latin = latin.upper()
        out.append(latin)
    return "".join(out)
