"""Charts drawn on the server as inline SVG: no chart library, no JavaScript.

:func:`stacked_bars` draws one bar per day, stacked by status group, with a light grid,
a y axis rounded to a readable step, day labels every few bars, and a ``<title>`` per
segment (the browser shows it as a tooltip). Colours come from CSS classes (``seg-…``), so
the stylesheet owns the palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from xml.sax.saxutils import escape

from markupsafe import Markup

from ..services.cabinet import DayStats, StatusGroup

__all__ = ["ORDER", "nice_ceiling", "stacked_bars"]

#: Bottom to top.
ORDER: tuple[StatusGroup, ...] = (
    StatusGroup.DELIVERED,
    StatusGroup.PENDING,
    StatusGroup.UNDELIVERED,
    StatusGroup.EXPIRED,
    StatusGroup.REJECTED,
)


def nice_ceiling(value: int) -> int:
    """The top of the y axis: the smallest of 4, 8, 20, 40, 80, 100, 200, 400, 800, 1000...
    at or above ``value``, so the four grid lines fall on whole, round numbers."""
    value = max(value, 1)
    step = 1
    while True:
        for m in (4, 8, 10, 20, 40, 80) if step == 1 else (1, 2, 4, 8):
            top = m * step
            if top >= value and (top % 4 == 0):
                return top
        step *= 100 if step == 1 else 10


def stacked_bars(
    days: Sequence[DayStats],
    first: date,
    count: int,
    labels: dict[StatusGroup, str],
    width: int = 720,
    height: int = 220,
) -> Markup:
    by_day = {d.day: d for d in days}
    series = [first + timedelta(days=i) for i in range(count)]
    top = nice_ceiling(max((by_day[d].total for d in series if d in by_day), default=0))
    left, right, upper, lower = 44, 8, 10, 24
    plot_w, plot_h = width - left - right, height - upper - lower
    slot = plot_w / count
    bar = max(slot * 0.68, 2.0)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'preserveAspectRatio="none" aria-label="{escape(labels.get(StatusGroup.DELIVERED, ""))}">'
    ]
    for i in range(5):
        y = upper + plot_h - plot_h * i / 4
        value = top * i // 4
        out.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    every = max(1, count // 8)
    for i, d in enumerate(series):
        x = left + slot * i + (slot - bar) / 2
        y = upper + plot_h
        stats = by_day.get(d)
        if stats is not None:
            for g in ORDER:
                n = stats.counts.get(g, 0)
                if not n:
                    continue
                h = plot_h * n / top
                y -= h
                tip = escape(f"{d.isoformat()} · {labels.get(g, g.value)}: {n}")
                out.append(
                    f'<rect class="seg-{g.value}" x="{x:.1f}" y="{y:.1f}" '
                    f'width="{bar:.1f}" height="{h:.1f}" rx="1.5"><title>{tip}</title></rect>'
                )
        if i % every == 0 or i == count - 1:
            out.append(
                f'<text class="axis" x="{x + bar / 2:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{d.strftime("%d.%m")}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))
