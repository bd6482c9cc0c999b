"""Where a letter stands, in a browser (issue 19): the goal bar and the timeline on the letter page
and the timeline page, at 360 and 1280 px, in English and Arabic; the embedded counter inside the
README's 300 × 200 frame in every language, open and closed."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from .test_accessibility import axe_violations

SLUG = "ban-biometric-surveillance"


@pytest.fixture(scope="module")
def milestones(site):
    """A goal part-way reached, a delivery written in English and Arabic, with its photo, and a response
    written in English only (Arabic readers get it with a notice): the longest state the counter shows."""
    from campaign import letters
    from campaign.lifecycle import closing, timeline
    from campaign.models import TimelineKind

    from ..factories import make_signature, shipped_letter

    photo = io.BytesIO()
    Image.new("RGB", (900, 600), (122, 31, 43)).save(photo, "JPEG")
    with site.app.app_context():
        for number in range(4):
            make_signature(status="published", organisation=f"Goal Org {number}", country="KE")
        letter = shipped_letter()
        closing.set_goal(letter, 10, None, "test")
        timeline.record_event(letters.LetterInfo.of(letter), TimelineKind.DELIVERED,
                              dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.timezone.utc), {
                                  "en": timeline.Words("Handed to the UN High Commissioner for Human Rights, Geneva",
                                                       "Ten organisations handed over the letter and its signatures."),
                                  "ar": timeline.Words("سُلّمت إلى المفوض السامي لحقوق الإنسان في جنيف",
                                                       "سلّمت عشر منظمات الرسالة وتوقيعاتها."),
                              }, None, photo.getvalue(), None, "test")
        timeline.record_event(letters.LetterInfo.of(letter), TimelineKind.RESPONSE,
                              dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone.utc), {
                                  "en": timeline.Words("The High Commissioner answered", "A reply promising a study."),
                              }, "https://www.ohchr.org/", None, None, "test")


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_goal_bar_and_the_timeline_read_well(site, context_factory, screenshots, milestones, lang, width):
    page = context_factory(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()
    for name, path in (("letter-goal", f"/{lang}/"), ("timeline", f"/{lang}/timeline")):
        page.goto(site.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        assert axe_violations(page) == []
        page.screenshot(path=str(screenshots / f"{lang}-{name}-{width}.png"), full_page=True)
    page.goto(f"{site.url}/{lang}/")
    from campaign.lifecycle import goals
    from campaign.publication import counts

    from ..factories import shipped_letter

    with site.app.app_context():
        expected = goals.progress(10, counts.published_count(shipped_letter().id))
    bar = page.locator(".signature-count progress")
    assert bar.get_attribute("max") == str(expected.goal)
    assert page.evaluate("getComputedStyle(document.querySelector('.goal__bar')).direction") == \
        ("rtl" if lang == "ar" else "ltr")
    assert page.locator(".letter__timeline .timeline__event").count() >= 2


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_closed_sign_page_reads_well(site, context_factory, screenshots, lang, width):
    """Signing closed: the sign form's page says so, and offers a signer their links back."""
    from campaign.extensions import db
    from campaign.web import caches

    from ..factories import shipped_letter

    with site.app.app_context():
        shipped_letter().closes_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        db.session.commit()
        caches.clear()  # the letter as each page sees it is kept for a while: this process forgets it now
    try:
        page = context_factory(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()
        response = page.goto(f"{site.url}/{lang}/sign")
        assert response.status == 410
        assert page.locator("form input[name=email]").count() == 1
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the closed page is {overflow}px wider than a {width}px screen"
        assert axe_violations(page) == []
        page.screenshot(path=str(screenshots / f"{lang}-sign-closed-{width}.png"), full_page=True)
    finally:
        with site.app.app_context():
            shipped_letter().closes_at = None
            db.session.commit()
            caches.clear()


@pytest.mark.parametrize("state", ["open", "closing", "closed"])
def test_the_counter_fits_its_frame_in_every_language(site, context_factory, screenshots, milestones, state):
    """``closing``: open, with a closing date said under the button (with the goal and the answered
    stage of ``milestones``, it overflowed the frame)."""
    from campaign.extensions import db
    from campaign.web import caches

    from ..factories import shipped_letter

    with site.app.app_context():
        letter = shipped_letter()
        now = dt.datetime.now(dt.timezone.utc)
        letter.closes_at = {"closed": now - dt.timedelta(hours=1), "closing": now + dt.timedelta(days=98)}.get(state)
        db.session.commit()
        caches.clear()
    try:
        page = context_factory(viewport={"width": 300, "height": 200}).new_page()
        for lang in site.app.config["LANGUAGES"]:
            page.goto(f"{site.url}/embed/{SLUG}/counter?lang={lang}")
            size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            assert size[0] <= 300 and size[1] <= 200, f"{lang}: the counter needs {size[0]}×{size[1]} px"
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), \
                f"{lang}: the counter scrolls sideways"
            last = page.locator(".counter > *").last.bounding_box()
            assert last["y"] + last["height"] <= 200 and last["x"] >= 0 and last["x"] + last["width"] <= 300
            page.screenshot(path=str(screenshots / f"{lang}-counter-{state}-300.png"))
    finally:
        with site.app.app_context():
            shipped_letter().closes_at = None
            db.session.commit()
