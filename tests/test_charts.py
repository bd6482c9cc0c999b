"""The charts (issue 18): an axis that ends just above the data, mirrored for right-to-left pages,
dates laid out in the page's direction, and a compact drawing whose text stays legible on a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from campaign.publication import charts
from campaign.publication.counts import HistoryDay

DAYS = [HistoryDay(dt.date(2026, 10, 1) + dt.timedelta(days=n), 10, 1000 + n * 933) for n in range(3)]  # up to 2,866
ARABIC_DATE = "01\u200f/10\u200f/2026"  # as Babel writes a date in Arabic: digits, slashes, right-to-left marks


def drawings(markup: str) -> dict[str, str]:
    """The wide and the compact drawing of a chart, by name."""
    return {match.group(1): match.group(0) for match in
            re.finditer(r'<svg[^>]*class="chart chart--(wide|compact)".*?</svg>', str(markup), re.S)}


def scale(svg: str) -> list[str]:
    return re.findall(r'font-size="12" fill="#55524e">([\d,]+)</text>', svg)


def test_every_chart_comes_wide_and_compact_with_twelve_unit_text():
    for markup in (charts.growth_chart(DAYS, "growth", str, str),
                   charts.country_chart([("Lebanon", 3)], "countries", str),
                   charts.daily_chart([day.day for day in DAYS], [charts.Series("a", [1, 2, 3], "#000")], "d", str, str)):
        found = drawings(markup)
        assert set(found) == {"wide", "compact"}
        assert 'viewBox="0 0 640 ' in found["wide"] and 'viewBox="0 0 320 ' in found["compact"]
        sizes = {int(size) for svg in found.values() for size in re.findall(r'font-size="(\d+)"', svg)}
        assert sizes == {12}, "12 units: 12 px or more wherever the stylesheet shows the drawing"


def test_the_axis_ends_at_a_round_number_just_above_the_data():
    wide = drawings(charts.growth_chart(DAYS, "growth", lambda value: f"{value:,}", str))["wide"]
    assert scale(wide) == ["0", "1,000", "2,000", "3,000"], "2,866 signatures: the axis once ran to 5,000"


@pytest.mark.parametrize("highest, top", [(0, 1), (3, 3), (7, 8), (48, 50), (150, 150), (151, 200), (2866, 3000),
                                          (4001, 5000), (5001, 6000), (10001, 15000)])
def test_the_axis_top_is_the_first_round_number_at_or_above_the_highest_value(highest, top):
    step = charts._nice_step(highest)
    assert step * -(-max(highest, 1) // step) == top and top / step <= charts.MOST_STEPS


def test_right_to_left_time_runs_from_the_right_and_dates_keep_their_order():
    ltr = drawings(charts.growth_chart(DAYS, "growth", str, lambda day: ARABIC_DATE))["wide"]
    rtl = drawings(charts.growth_chart(DAYS, "growth", str, lambda day: ARABIC_DATE, rtl=True))["wide"]

    def first_point(svg: str) -> float:
        return float(re.search(r'<polyline points="([\d.]+),', svg).group(1))

    assert first_point(ltr) < 320 < first_point(rtl), "the first day stands on the left, or on the right in RTL"
    assert 'direction="rtl" unicode-bidi="embed"' in rtl and 'direction="rtl"' not in ltr


def test_right_to_left_bars_grow_from_the_right_and_names_stand_above_them_on_a_phone():
    rows = [("لبنان", 40), ("Brasil", 20)]
    bars = lambda svg: [(float(x), float(width)) for x, width in  # noqa: E731
                        re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)]
    ltr = drawings(charts.country_chart(rows, "countries", str))
    rtl = drawings(charts.country_chart(rows, "countries", str, rtl=True))
    assert [x for x, _ in bars(ltr["wide"])] == [200.0, 200.0]
    assert [round(x + width) for x, width in bars(rtl["wide"])] == [440, 440], "bars end where the names begin"
    assert bars(rtl["wide"])[0][0] < bars(rtl["wide"])[1][0], "the longer bar reaches further left"
    names = re.findall(r'<text x="([\d.]+)" y="([\d.]+)"[^>]*fill="#1c1b1a">(لبنان|Brasil)</text>', rtl["compact"])
    first_bar_top = float(re.search(r'<rect x="[\d.]+" y="([\d.]+)"', rtl["compact"]).group(1))
    assert names[0][0] == "320.0" and float(names[0][1]) <= first_bar_top, "on a phone, the name above its bar"
