"""The list's charts in a browser (issue 18): legible on a phone, right to left in Arabic, and dates
shown in the order Babel writes them, in English and Arabic, at 360 and 1280 px."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_date

from campaign.web.i18n import describe

from .test_accessibility import axe_violations

FIRST_DAY = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=4)


@pytest.fixture(scope="module")
def history(site):
    """Signatures published over five days, counted as moderators' decisions would count them."""
    from campaign.extensions import db
    from campaign.publication import counts

    from ..factories import make_signature, shipped_letter

    with site.app.app_context():
        for offset in range(5):
            when = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=offset), dt.time(12), dt.timezone.utc)
            for number in range(offset + 1):
                make_signature(status="published", organisation=f"Chart Org {offset}-{number}",
                               country=("LB", "BR", "DE")[number % 3], published_at=when, decided_at=when)
        letter = shipped_letter()
        counts.rebuild_counts(letter.id)
        counts.touch(letter.id)
        db.session.commit()


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_list_charts_read_well_in_each_direction_and_width(site, context_factory, screenshots, history, lang,
                                                                width):
    context = context_factory(bypass_csp=True, viewport={"width": width, "height": 900}, locale=lang)
    context.add_cookies([{"name": "fresh", "value": "1", "url": site.url}])  # past the shared-page replay
    page = context.new_page()
    page.goto(f"{site.url}/{lang}/signatories")
    shown = "svg.chart--compact" if width == 360 else "svg.chart--wide"
    charts = page.locator(shown)
    assert charts.count() == 2 and charts.first.is_visible()
    smallest = page.evaluate("""selector => Math.min(...[...document.querySelectorAll(selector)].map(svg =>
        svg.getBoundingClientRect().width / svg.viewBox.baseVal.width * 12))""", shown)
    assert smallest >= 11.9, f"chart text is {smallest:.1f} px at {width} px"
    dates = page.evaluate("""selector => [...document.querySelector(selector).querySelectorAll('text.chart__date')]
        .map(text => ({text: text.textContent, first: text.getStartPositionOfChar(0).x,
                       last: text.getStartPositionOfChar(text.getNumberOfChars() - 1).x}))""", shown)
    locale = describe(lang).babel_locale
    assert dates[0]["text"] == format_date(FIRST_DAY, "medium", locale=locale)
    days = {format_date(FIRST_DAY + dt.timedelta(days=offset), "medium", locale=locale) for offset in range(8)}
    assert len(dates) >= 2 and all(date["text"] in days for date in dates), "every date label as Babel writes it"
    if lang == "ar":
        # Read right to left: the day's digits, written first, stand rightmost ("012026/10/" before).
        assert all(date["first"] > date["last"] for date in dates), dates
        polyline = page.evaluate("s => document.querySelector(s).querySelector('polyline').points[0].x", shown)
        assert polyline > page.evaluate("s => document.querySelector(s).viewBox.baseVal.width / 2", shown), \
            "the first day on the right"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert axe_violations(page) == []
    page.locator("section.charts h2").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('section.charts').scrollIntoView()")
    page.screenshot(path=str(screenshots / f"{lang}-list-charts-{width}.png"))
