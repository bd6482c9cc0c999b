"""The list's charts (issue 18): an axis that ends just above the data, mirrored for right-to-left
pages, and dates laid out in the page's direction."""

from __future__ import annotations

import datetime as dt
import re

from campaign.publication import charts
from campaign.publication.counts import HistoryDay

DAYS = [HistoryDay(dt.date(2026, 10, 1) + dt.timedelta(days=n), 10, 1000 + n * 933) for n in range(3)]  # up to 2,866


def scale(svg: str) -> list[str]:
    return re.findall(r'font-size="12" fill="#55524e">([\d,]+)</text>', svg)


def test_the_axis_ends_at_a_round_number_just_above_the_data():
    svg = charts.growth_chart(DAYS, "growth", lambda value: f"{value:,}", str)
    assert scale(svg)[-1] == "3,000", "2,866 signatures: the axis once ran to 5,000"
    assert scale(svg) == ["0", "1,000", "2,000", "3,000"]


def test_right_to_left_time_runs_from_the_right_and_dates_keep_their_order():
    ltr = charts.growth_chart(DAYS, "growth", str, lambda day: "01\u200f/10\u200f/2026")
    rtl = charts.growth_chart(DAYS, "growth", str, lambda day: "01\u200f/10\u200f/2026", rtl=True)
    first_point = lambda svg: float(re.search(r'<polyline points="([\d.]+),', svg).group(1))  # noqa: E731
    assert first_point(ltr) < 320 < first_point(rtl), "the first day stands on the left, or on the right in RTL"
    assert 'direction="rtl" unicode-bidi="embed"' in rtl and 'direction="rtl"' not in ltr


def test_right_to_left_bars_grow_from_the_right():
    rows = [("لبنان", 40), ("Brasil", 20)]
    ltr = charts.country_chart(rows, "countries", str)
    rtl = charts.country_chart(rows, "countries", str, rtl=True)
    bar_x = lambda svg: [float(x) for x in re.findall(r'<rect x="([\d.]+)"', svg)]  # noqa: E731
    assert bar_x(ltr) == [200.0, 200.0]
    assert all(x + width <= 440.5 for x, width in zip(bar_x(rtl), (368.0, 184.0))), "bars end where the names begin"
    assert bar_x(rtl)[0] < bar_x(rtl)[1], "the longer bar reaches further left"
