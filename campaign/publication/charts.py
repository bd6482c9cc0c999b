"""Charts drawn on the server as SVG: no script, no library, no inline style (the CSP forbids it).

Each chart is returned as markup to place inside a ``<figure>``; the page pairs it with a table
holding the same numbers, for screen readers and for anyone who prefers reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .counts import HistoryDay

INK = "#1c1b1a"
MUTED = "#55524e"
ACCENT = "#7a1f2b"
GRID = "#ddd6cc"


def _round_top(highest: int) -> tuple[int, int]:
    """The top of an axis just above ``highest`` (a whole number of round steps) and that step."""
    step = _nice_step(highest)
    return step * max(1, -(-highest // step)), step


def _date_text(x: float, y: float, anchor: str, text: str, rtl: bool, size: int = 12) -> str:
    """A day's name laid out in the page's direction: an Arabic date (digits, slashes, direction marks)
    set left to right reads "012026/10/"."""
    direction = "rtl" if rtl else "ltr"
    return (f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}" direction="{direction}" unicode-bidi="embed" '
            f'font-size="{size}" fill="{MUTED}">{escape(text)}</text>')


def growth_chart(days: Sequence[HistoryDay], label: str, format_number: Callable[[int], str],
                 format_day: Callable, rtl: bool = False, width: int = 640, height: int = 260) -> Markup:
    """Cumulative published signatures per day, as an area under a line; in a right-to-left page
    time runs from right to left and the scale stands on the right."""
    margin_start, margin_end, top, bottom = 64, 16, 16, 40
    plot_width, plot_height = width - margin_start - margin_end, height - top - bottom
    maximum, step = _round_top(max((day.cumulative for day in days), default=0))
    count = len(days)

    def x(index: int) -> float:
        offset = plot_width * index / (count - 1) if count > 1 else plot_width / 2
        return width - margin_start - offset if rtl else margin_start + offset

    def y(value: int) -> float:
        return top + plot_height - plot_height * value / maximum

    scale_x, scale_anchor = (width - margin_start + 8, "start") if rtl else (margin_start - 8, "end")
    plot_left, plot_right = (margin_end, width - margin_start) if rtl else (margin_start, width - margin_end)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(label)}" class="chart" direction="ltr">']
    for value in range(0, maximum + 1, step):
        parts.append(f'<line x1="{plot_left}" x2="{plot_right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{scale_x}" y="{y(value) + 4:.1f}" text-anchor="{scale_anchor}" font-size="12" '
                     f'fill="{MUTED}">{escape(format_number(value))}</text>')
    if days:
        points = " ".join(f"{x(i):.1f},{y(day.cumulative):.1f}" for i, day in enumerate(days))
        area = f"{x(0):.1f},{y(0):.1f} {points} {x(count - 1):.1f},{y(0):.1f}"
        parts.append(f'<polygon points="{area}" fill="{ACCENT}" fill-opacity="0.15"/>')
        parts.append(f'<polyline points="{points}" fill="none" stroke="{ACCENT}" stroke-width="2.5"/>')
        # In a right-to-left text "start" is its right edge: the first day's name ends at its point either way.
        for index, anchor in sorted({0: "start", count - 1: "end"}.items()):
            parts.append(_date_text(x(index), height - 14, anchor if count > 1 else "middle",
                                    format_day(days[index].day), rtl))
    parts.append("</svg>")
    return Markup("".join(parts))


def country_chart(rows: Sequence[tuple[str, int]], label: str, format_number: Callable[[int], str],
                  rtl: bool = False, width: int = 640, bar_height: int = 26) -> Markup:
    """Horizontal bars for the countries with the most signatures; ``rows`` are (name, count). In a
    right-to-left page the names stand on the right and the bars grow leftwards."""
    label_width, gap, top = 200, 8, 8
    height = top * 2 + len(rows) * (bar_height + gap)
    maximum = max((count for _, count in rows), default=1) or 1
    plot_width = width - label_width - 72
    direction = "rtl" if rtl else "ltr"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {max(height, 40)}" role="img" '
             f'aria-label="{escape(label)}" class="chart" direction="ltr">']
    for index, (name, count) in enumerate(rows):
        y = top + index * (bar_height + gap)
        bar = max(2.0, plot_width * count / maximum)
        text_y = f"{y + bar_height * 0.68:.1f}"
        if rtl:
            name_x, bar_x, number_x = width - label_width + 8, width - label_width - bar, width - label_width - bar - 6
        else:
            name_x, bar_x, number_x = label_width - 8, label_width, label_width + bar + 6
        parts.append(f'<text x="{name_x}" y="{text_y}" text-anchor="end" direction="{direction}" unicode-bidi="embed" '
                     f'font-size="13" fill="{INK}">{escape(name)}</text>')
        parts.append(f'<rect x="{bar_x:.1f}" y="{y}" width="{bar:.1f}" height="{bar_height}" fill="{ACCENT}" rx="3"/>')
        parts.append(f'<text x="{number_x:.1f}" y="{text_y}" text-anchor="{"end" if rtl else "start"}" '
                     f'font-size="13" fill="{INK}">{escape(format_number(count))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Series:
    """One line of a chart: its values in the order of the days, and a stroke told apart by its
    dashes as well as its colour (the legend shows both)."""

    label: str
    values: Sequence[int]
    colour: str
    dashes: str | None = None


#: Three lines that differ in colour and in pattern: solid, dashed, dotted.
SERIES_STYLES = (("#1f4e79", None), (ACCENT, "7 4"), ("#1d5e2f", "2 3"))


def _nice_step(highest: int, lowest: int = 0) -> int:
    """A round whole step (1, 2 or 5 times a power of ten) so that about four steps span the values."""
    span = max(highest, 0) - min(lowest, 0)
    step = 1
    while step * 4 < span:
        for factor in (2, 5 / 2, 2):  # 1 → 2 → 5 → 10 → 20 …
            step = int(step * factor)
            if step * 4 >= span:
                break
    return step


def _line(series: Series, points: str) -> str:
    dashes = f' stroke-dasharray="{series.dashes}"' if series.dashes else ""
    return (f'<polyline points="{points}" fill="none" stroke="{series.colour}" stroke-width="2.5" '
            f'stroke-linejoin="round"{dashes}/>')


def legend_swatch(series: Series) -> Markup:
    """A short sample of a series' line, to stand beside its name in the page's legend."""
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 12" class="chart-swatch" '
                  f'aria-hidden="true" focusable="false">{_line(series, "2,6 34,6")}</svg>')


def daily_chart(days: Sequence[dt.date], series: Sequence[Series], label: str, format_number: Callable[[int], str],
                format_day: Callable[[dt.date], str], rtl: bool = False, width: int = 560, height: int = 260) -> Markup:
    """Several figures per day as lines over the same time axis. In a right-to-left page time runs
    from right to left and the scale stands on the right, as a reader of the page expects; the days'
    names are laid out right to left too (an Arabic date carries direction marks). Text is larger
    than in the public charts: on a phone the drawing is shrunk to about half."""
    margin_start, margin_end, top, bottom = 56, 16, 16, 40
    plot_width, plot_height = width - margin_start - margin_end, height - top - bottom
    values = [value for line in series for value in line.values]
    step = _nice_step(max(values, default=0), min(values, default=0))
    maximum = step * -(-max(max(values, default=0), 1) // step)
    minimum = -step * -(-max(-min(values, default=0), 0) // step)
    count = len(days)

    def x(index: int) -> float:
        offset = plot_width * index / (count - 1) if count > 1 else plot_width / 2
        return width - margin_start - offset if rtl else margin_start + offset

    def y(value: float) -> float:
        return top + plot_height - plot_height * (value - minimum) / (maximum - minimum)

    scale_x, scale_anchor = (width - margin_start + 8, "start") if rtl else (margin_start - 8, "end")
    plot_left, plot_right = (margin_end, width - margin_start) if rtl else (margin_start, width - margin_end)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(label)}" class="chart" direction="ltr">']
    for value in range(minimum, maximum + 1, step):
        stroke = MUTED if value == 0 else GRID
        parts.append(f'<line x1="{plot_left}" x2="{plot_right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="{stroke}"/>')
        parts.append(f'<text x="{scale_x}" y="{y(value) + 5:.1f}" text-anchor="{scale_anchor}" font-size="14" '
                     f'fill="{MUTED}">{escape(format_number(value))}</text>')
    for line in series:
        if count:
            parts.append(_line(line, " ".join(f"{x(i):.1f},{y(value):.1f}" for i, value in enumerate(line.values))))
    if count:
        # In a right-to-left text, "start" is its right edge: the first day's name ends at its point either way.
        direction = "rtl" if rtl else "ltr"
        for index, anchor in sorted({0: "start", count - 1: "end"}.items()):
            parts.append(f'<text x="{x(index):.1f}" y="{height - 12}" text-anchor="{anchor if count > 1 else "middle"}" '
                         f'direction="{direction}" unicode-bidi="embed" font-size="14" fill="{MUTED}">'
                         f'{escape(format_day(days[index]))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
