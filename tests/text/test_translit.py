"""``translite=1``: Cyrillic spelt in Latin, GSM 7-bit out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsrelay.text import Encoding, choose_encoding, count_parts
from smsrelay.text.translit import TABLE, transliterate

CYRILLIC = "".join(TABLE)


def test_the_table_on_words() -> None:
    assert "Privet, mir! Schuka, ZHUK, Zhuk, yozh, podezd" == transliterate(
        "Привет, мир! Щука, ЖУК, Жук, ёж, подъезд"
    )
    assert "Kyiv, Yizhak, yevro, Gudzik" == transliterate("Kyiv, Їжак, євро, Ґудзик")


def test_other_characters_pass_through() -> None:
    assert "abc 123 €{}" == transliterate("abc 123 €{}")


@given(st.text(alphabet=CYRILLIC + " .,!?0123456789abcXYZ", max_size=400))
def test_cyrillic_text_becomes_gsm7(text: str) -> None:
    """Any text of table letters, digits, ASCII: GSM 7-bit, no Cyrillic left, counted as
    GSM 7-bit."""
    latin = transliterate(text)
    assert Encoding.GSM7 == choose_encoding(latin)
    assert not any(ch in TABLE for ch in latin)
    assert count_parts(latin, Encoding.GSM7) == count_parts(latin)
