"""Charts drawn on the server as SVG: no script, no library, no inline style (the CSP forbids it).

Each chart is returned as markup to place inside a ``<figure>``; the page pairs it with a table
holding the same numbers, for screen readers and for anyone who prefers reading.

Every chart is drawn twice: a wide drawing (640 units) for screens of 44rem and more, and a compact
one (320 units) below, where the wide one would shrink its text to 6 px. The stylesheet shows one of
them, never narrower than it is drawn on a 360 px phone or a desktop, so 12-unit text stays at least
12 px. In a right-to-left page time runs from right to left, the scale stands on the right, bars grow
leftwards, and dates are laid out right to left (an Arabic date carries direction marks: laid out
left to right, "01‏/10‏/2026" shows as "012026/10/").
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
WIDE, COMPACT = 640, 320
TEXT = 12  # units; at least 12 CSS px wherever a drawing is shown (see the stylesheet's .chart rules)


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


def _both(draw: Callable[[int], str]) -> Markup:
    """The wide and the compact drawing of one chart; the stylesheet shows the one that fits."""
    return Markup(draw(WIDE) + draw(COMPACT))


def _svg(width: int, height: int, label: str) -> str:
    size = "wide" if width == WIDE else "compact"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(label)}" class="chart chart--{size}" direction="ltr">')


MOST_STEPS = 5


def _nice_step(highest: int, lowest: int = 0) -> int:
    """The smallest round whole step (1, 2 or 5 times a power of ten) that spans the values in at
    most five steps, so the axis ends at the first round number at or above the data (4,001: 5,000)."""
    span = max(highest, 0) - min(lowest, 0)
    step = 1
    while step * MOST_STEPS < span:
        for factor in (2, 5 / 2, 2):  # 1 → 2 → 5 → 10 → 20 …
            step = int(step * factor)
            if step * MOST_STEPS >= span:
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


def _text(x: float, y: float, anchor: str, text: str, fill: str = MUTED, rtl: bool = False, role: str = "") -> str:
    """Text of the chart; ``rtl`` lays it out right to left (names and dates of a right-to-left page);
    ``role`` names what it is (``date``), for the browser tests to find."""
    direction = ' direction="rtl" unicode-bidi="embed"' if rtl else ""
    named = f' class="chart__{role}"' if role else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{direction}{named} font-size="{TEXT}" '
            f'fill="{fill}">{escape(text)}</text>')


def _time_chart(width: int, days: Sequence[dt.date], series: Sequence[Series], label: str,
                format_number: Callable[[int], str], format_day: Callable[[dt.date], str], rtl: bool,
                area: bool) -> str:
    """Values per day over one time axis, with a scale of round steps ending just above the data."""
    height = 260 if width == WIDE else 220
    margin_start, margin_end, top, bottom = (56, 16, 16, 36) if width == WIDE else (44, 10, 12, 36)
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

    scale_x, scale_anchor = (width - margin_start + 6, "start") if rtl else (margin_start - 6, "end")
    plot_left, plot_right = (margin_end, width - margin_start) if rtl else (margin_start, width - margin_end)
    parts = [_svg(width, height, label)]
    for value in range(minimum, maximum + 1, step):
        stroke = MUTED if value == 0 and minimum < 0 else GRID
        parts.append(f'<line x1="{plot_left}" x2="{plot_right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="{stroke}"/>')
        parts.append(_text(scale_x, y(value) + 4, scale_anchor, format_number(value)))
    for line in series if count else ():
        points = " ".join(f"{x(i):.1f},{y(value):.1f}" for i, value in enumerate(line.values))
        if area:
            parts.append(f'<polygon points="{x(0):.1f},{y(0):.1f} {points} {x(count - 1):.1f},{y(0):.1f}" '
                         f'fill="{line.colour}" fill-opacity="0.15"/>')
        parts.append(_line(line, points))
    if count:
        # In right-to-left text "start" is its right edge: the first day's name ends at its point either way.
        for index, anchor in sorted({0: "start", count - 1: "end"}.items()):
            parts.append(_text(x(index), height - 12, anchor if count > 1 else "middle", format_day(days[index]),
                               rtl=rtl, role="date"))
    parts.append("</svg>")
    return "".join(parts)


def growth_chart(days: Sequence[HistoryDay], label: str, format_number: Callable[[int], str],
                 format_day: Callable[[dt.date], str], rtl: bool = False) -> Markup:
    """Cumulative published signatures per day, as an area under a line."""
    line = Series(label, [day.cumulative for day in days], ACCENT)
    return _both(lambda width: _time_chart(width, [day.day for day in days], [line], label, format_number,
                                           format_day, rtl, area=True))


def daily_chart(days: Sequence[dt.date], series: Sequence[Series], label: str, format_number: Callable[[int], str],
                format_day: Callable[[dt.date], str], rtl: bool = False) -> Markup:
    """Several figures per day as lines over the same time axis (the operator's dashboard)."""
    return _both(lambda width: _time_chart(width, days, series, label, format_number, format_day, rtl, area=False))


def _country_bars(width: int, rows: Sequence[tuple[str, int]], label: str, format_number: Callable[[int], str],
                  rtl: bool) -> str:
    """Wide: the name beside its bar. Compact: the name above its bar, so neither is squeezed."""
    stacked = width == COMPACT
    bar_height, gap, top = (14, 10, 6) if stacked else (24, 8, 8)
    name_space = 0 if stacked else 200
    row_height = bar_height + gap + (TEXT + 4 if stacked else 0)
    height = max(top * 2 + len(rows) * row_height, 40)
    plot_width = width - name_space - 64
    maximum = max((count for _, count in rows), default=1) or 1
    parts = [_svg(width, height, label)]
    for index, (name, count) in enumerate(rows):
        row_top = top + index * row_height
        bar_top = row_top + (TEXT + 4 if stacked else 0)
        bar = max(2.0, plot_width * count / maximum)
        middle = bar_top + bar_height / 2 + 4
        start = width - name_space if rtl else name_space  # where bars begin
        bar_x = start - bar if rtl else start
        if stacked:
            parts.append(_text(width if rtl else 0, row_top + TEXT, "start", name, INK, rtl=rtl))
        else:
            parts.append(_text(start + 8 if rtl else start - 8, middle, "end", name, INK, rtl=rtl))
        parts.append(f'<rect x="{bar_x:.1f}" y="{bar_top}" width="{bar:.1f}" height="{bar_height}" '
                     f'fill="{ACCENT}" rx="3"/>')
        parts.append(_text(bar_x - 6 if rtl else bar_x + bar + 6, middle, "end" if rtl else "start",
                           format_number(count), INK))
    parts.append("</svg>")
    return "".join(parts)


def country_chart(rows: Sequence[tuple[str, int]], label: str, format_number: Callable[[int], str],
                  rtl: bool = False) -> Markup:
    """Horizontal bars for the countries with the most signatures; ``rows`` are (name, count)."""
    return _both(lambda width: _country_bars(width, rows, label, format_number, rtl))
