"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable by screen readers.

The SVG carries <title> and <desc> (named by aria-labelledby), and every data point has its own
<title> with the date and value; colours and strokes come from classes in static/css/dashboard.css
(the CSP allows no inline styles).
"""

from __future__ import annotations

from datetime import date
from math import log10

from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 16, 44


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above `value` (at least 1): a y axis with round ticks."""
    if value <= 1:
        return 1
    magnitude = 10 ** int(log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _day(day: date, *, year: bool = True) -> str:
    # Not date_format(): its locale machinery cost 16 ms for a 120-day chart.
    text = f"{day.day} {MONTHS_3[day.month].title()}"
    return f"{text} {day.year}" if year else text


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def line_chart(points: list[tuple[date, int]], *, chart_id: str, title: str, description: str,
               y_label: str) -> SafeString:
    """A line chart of `points` (date, value), one <circle> per point, axes with labelled ticks."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = nice_ceiling(max((value for _, value in points), default=0))
    count = len(points)

    def x(index: int) -> float:
        return LEFT + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top_value

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        '<g class="chart-axes">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>',
        '</g>',
        '<g class="chart-ticks">',
    ]
    for tick in sorted({0, top_value // 2, top_value}):
        parts.append(f'<line class="chart-grid" x1="{LEFT}" y1="{_fmt(y(tick))}" x2="{LEFT + plot_w}" '
                     f'y2="{_fmt(y(tick))}"/>')
        parts.append(f'<text class="chart-y-label" x="{LEFT - 6}" y="{_fmt(y(tick) + 4)}">{tick}</text>')
    label_indexes = sorted({0, count // 2, count - 1}) if count else []
    for index in label_indexes:
        day = points[index][0]
        parts.append(f'<text class="chart-x-label" x="{_fmt(x(index))}" y="{TOP + plot_h + 18}">'
                     f'{escape(_day(day, year=False))}</text>')
    parts.append(f'<text class="chart-axis-title" x="14" y="{TOP + plot_h / 2}" '
                 f'transform="rotate(-90 14 {_fmt(TOP + plot_h / 2)})">{escape(y_label)}</text>')
    parts.append('</g>')
    if count:
        coordinates = " ".join(f"{_fmt(x(i))},{_fmt(y(value))}" for i, (_, value) in enumerate(points))
        parts.append(f'<polyline class="chart-line" points="{coordinates}"/>')
        parts.append('<g class="chart-points">')
        for i, (day, value) in enumerate(points):
            parts.append(f'<circle cx="{_fmt(x(i))}" cy="{_fmt(y(value))}" r="3">'
                         f'<title>{escape(_day(day))}: {value}</title></circle>')
        parts.append('</g>')
    parts.append('</svg>')
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
