"""Opt-out words (pure): what an incoming text means, how words are given."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsrelay.domain.optout import OptAction, OptOutSettings, classify, parse_words

DEFAULTS = OptOutSettings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", OptAction.STOP),
        ("  stop \n", OptAction.STOP),
        ("Stop!", OptAction.STOP),
        ("стоп", OptAction.STOP),
        ("ОТПИСКА.", OptAction.STOP),
        ("unsubscribe", OptAction.STOP),
        ("Start", OptAction.START),
        ("старт", OptAction.START),
        ("stop it", None),
        ("please STOP", None),
        ("", None),
        ("STOPP", None),
    ],
)
def test_default_words(text: str, expected: OptAction | None) -> None:
    """The whole text, trimmed, any case, a trailing . or ! ignored; nothing else."""
    assert expected == classify(text, DEFAULTS)


def test_own_words_replace_the_defaults() -> None:
    """Configured words are the only ones; a word cannot both stop and start."""
    own = OptOutSettings(stop_words=parse_words("хватит, Enough"), start_words=("ЕЩЁ",))
    assert ("ХВАТИТ", "ENOUGH") == own.stop_words
    assert (OptAction.STOP, None, OptAction.START) == (
        classify("enough", own),
        classify("STOP", own),
        classify("ещё", own),
    )
    with pytest.raises(ValueError, match="both stop and start"):
        OptOutSettings(stop_words=("GO",), start_words=("go",))
    with pytest.raises(ValueError, match="at least one"):
        parse_words(" , ")


@given(st.text(max_size=200))
def test_any_text_is_classified_or_ignored(text: str) -> None:
    """No input raises; texts longer than any word are never an opt-out."""
    found = classify(text, DEFAULTS)
    assert found is None or len(text.strip()) <= 40
