"""``ApiSettings`` validates itself on construction."""

from __future__ import annotations

from typing import Any

import pytest

from smsrelay.api import ApiSettings
from smsrelay.domain.accounts import Lang


def test_defaults_follow_the_spec() -> None:
    """200 for every well-formed answer (§1.4), RU literals (§1.8), 2 MiB, 10 000 recipients."""
    settings = ApiSettings()
    assert ("200", 2 * 1024 * 1024, 10_000, Lang.RU) == (
        settings.error_status,
        settings.max_body_bytes,
        settings.max_recipients,
        settings.default_lang,
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"error_status": "500"}, {"max_body_bytes": 0}, {"max_recipients": 0}, {"default_lang": "ru"}],
)
def test_settings_refuse_invalid_values(kwargs: dict[str, Any]) -> None:
    """Invalid settings fail at construction, naming the key."""
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ApiSettings(**kwargs)
