"""Every text the templates translate has its Russian; the chart is readable SVG."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import smsrelay.web
from smsrelay.domain.money import Money
from smsrelay.services.cabinet import DayStats, StatusGroup
from smsrelay.web._ru import RU
from smsrelay.web.charts import nice_ceiling, stacked_bars

TEMPLATES = Path(smsrelay.web.__file__).parent / "templates"


def test_every_template_text_has_a_russian_translation() -> None:
    used: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        used |= set(re.findall(r"""\bt\(\s*"([^"]+)"\s*\)""", text))
        used |= set(re.findall(r"""\bt\(\s*'([^']+)'\s*\)""", text))
    missing = sorted(u for u in used if u not in RU)
    assert [] == missing


def test_code_texts_have_russian() -> None:
    used: set[str] = set()
    for name in (
        "cabinet.py",
        "console.py",
        "cabinet_more.py",
        "console_more.py",
        "bases_pages.py",
        "base_forms.py",
        "console_tariffs.py",
    ):
        text = (TEMPLATES.parent / name).read_text()
        used |= set(re.findall(r"""(?:notice|error|\["error"\]) = "([^"]+)\"""", text))
        used |= set(re.findall(r"""StatusGroup\.\w+: "([^"]+)\"""", text))
    missing = sorted(u for u in used if u not in RU)
    assert [] == missing


def test_nice_ceiling() -> None:
    assert [4, 8, 8, 20, 40, 100, 200, 1000] == [
        nice_ceiling(n) for n in (0, 5, 6, 11, 21, 99, 101, 999)
    ]


def test_stacked_bars_stack_in_order() -> None:
    """One rect per non-empty (day, group), delivered at the bottom, with a tooltip."""
    days = [
        DayStats(date(2026, 1, 2), {StatusGroup.DELIVERED: 3, StatusGroup.EXPIRED: 1}, Money(0))
    ]
    svg = str(stacked_bars(days, date(2026, 1, 1), 3, {StatusGroup.DELIVERED: "<D>"}))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 2 == svg.count("<rect")
    assert svg.index("seg-delivered") < svg.index("seg-expired")
    assert "&lt;D&gt;: 3" in svg
