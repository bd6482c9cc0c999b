"""Charts drawn on the server as SVG: no script, no library, no inline style (the CSP forbids it).

Each chart is returned as markup to place inside a ``<figure>``; the page pairs it with a table
holding the same numbers, for screen readers and for anyone who prefers reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from .counts import HistoryDay

INK = "#1c1b1a"
MUTED = "#55524e"
ACCENT = "#7a1f2b"
GRID = "#ddd6cc"


def _nice_maximum(value: int) -> int:
    """A round number at or above ``value`` for the top of an axis."""
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return value


def growth_chart(days: Sequence[HistoryDay], label: str, format_number: Callable[[int], str],
                 format_day: Callable, width: int = 640, height: int = 260) -> Markup:
    """Cumulative published signatures per day, as an area under a line."""
    left, right, top, bottom = 64, 16, 16, 40
    plot_width, plot_height = width - left - right, height - top - bottom
    maximum = _nice_maximum(max((day.cumulative for day in days), default=0))
    count = len(days)

    def x(index: int) -> float:
        return left + (plot_width * index / (count - 1) if count > 1 else plot_width / 2)

    def y(value: int) -> float:
        return top + plot_height - plot_height * value / maximum

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(label)}" class="chart" direction="ltr">']
    for tick in range(5):
        value = maximum * tick // 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 8}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="12" '
                     f'fill="{MUTED}">{escape(format_number(value))}</text>')
    if days:
        points = " ".join(f"{x(i):.1f},{y(day.cumulative):.1f}" for i, day in enumerate(days))
        area = f"{x(0):.1f},{y(0):.1f} {points} {x(count - 1):.1f},{y(0):.1f}"
        parts.append(f'<polygon points="{area}" fill="{ACCENT}" fill-opacity="0.15"/>')
        parts.append(f'<polyline points="{points}" fill="none" stroke="{ACCENT}" stroke-width="2.5"/>')
        for index in sorted({0, count - 1}):
            anchor = "start" if index == 0 and count > 1 else "end" if count > 1 else "middle"
            parts.append(f'<text x="{x(index):.1f}" y="{height - 14}" text-anchor="{anchor}" font-size="12" '
                         f'fill="{MUTED}">{escape(format_day(days[index].day))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def country_chart(rows: Sequence[tuple[str, int]], label: str, format_number: Callable[[int], str],
                  width: int = 640, bar_height: int = 26) -> Markup:
    """Horizontal bars for the countries with the most signatures; ``rows`` are (name, count)."""
    label_width, gap, top = 200, 8, 8
    height = top * 2 + len(rows) * (bar_height + gap)
    maximum = max((count for _, count in rows), default=1) or 1
    plot_width = width - label_width - 72
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {max(height, 40)}" role="img" '
             f'aria-label="{escape(label)}" class="chart" direction="ltr">']
    for index, (name, count) in enumerate(rows):
        y = top + index * (bar_height + gap)
        bar = max(2.0, plot_width * count / maximum)
        parts.append(f'<text x="{label_width - 8}" y="{y + bar_height * 0.68:.1f}" text-anchor="end" font-size="13" '
                     f'fill="{INK}">{escape(name)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" fill="{ACCENT}" rx="3"/>')
        parts.append(f'<text x="{label_width + bar + 6:.1f}" y="{y + bar_height * 0.68:.1f}" font-size="13" '
                     f'fill="{INK}">{escape(format_number(count))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
