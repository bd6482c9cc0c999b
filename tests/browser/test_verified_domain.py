"""The verified-domain badge on the list: visible, explained, fitting a phone, right to left in
Arabic, and clean under axe; the list's and the queue's filter on it. Screenshots go to
``screenshots/``."""

from __future__ import annotations

import pytest

from .test_accessibility import axe_violations


@pytest.fixture(scope="module")
def badge_entries(site):
    from ..factories import published

    with site.app.app_context():
        published(organisation="Badge Test Own Domain Collective", country="LB", email="press@sub.badge.example",
                  website="https://badge.example")
        published(organisation="Badge Test منظمة النطاق", country="EG", email="info@nitaq.example",
                  website="https://www.nitaq.example/ar")
        published(organisation="Badge Test Webmail Network", country="BR", email="badge.network@gmail.com",
                  website="https://network.example")


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_badge_fits_reads_its_way_and_passes_axe(site, context_factory, screenshots, badge_entries, lang, width):
    page = context_factory(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()
    page.goto(f"{site.url}/{lang}/signatories?kind=organisation&q=Badge Test")
    assert page.locator(".signatory").count() == 3
    badges = page.locator(".signatory .signatory__verified")
    assert badges.count() == 2 and badges.first.is_visible()
    webmail = page.locator(".signatory", has_text="Badge Test Webmail Network")
    assert webmail.locator(".signatory__verified").count() == 0
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the list is {overflow}px wider than a {width}px screen"
    page.screenshot(path=str(screenshots / f"{lang}-list-verified-{width}.png"), full_page=True)
    entry = page.locator(".signatory", has_text="Badge Test Own Domain Collective")
    name = entry.locator(".signatory__name").bounding_box()
    badge = entry.locator(".signatory__verified").bounding_box()
    # The badge starts where the name starts, or after it, in the reading direction.
    if lang == "ar":
        assert badge["x"] + badge["width"] <= name["x"] + name["width"] + 1, (name, badge)
    else:
        assert badge["x"] >= name["x"] - 1, (name, badge)
    badges.first.click()  # the badge leads to its explanation, on the list page
    assert page.url.endswith("#domain-verified")
    assert page.locator("#domain-verified").is_visible()
    assert axe_violations(page) == []
    page.check("input[name=verified]")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**verified=1**")
    assert page.locator(".signatory", has_text="Badge Test Webmail Network").count() == 0
    assert page.locator(".signatory", has_text="Badge Test Own Domain Collective").count() == 1
    assert axe_violations(page) == []


def test_the_queue_filter_passes_axe(site, context_factory, screenshots, badge_entries):
    from ..factories import make_signature

    with site.app.app_context():
        make_signature(organisation="Badge Queue Own Domain", email="press@queue.example",
                       website="https://queue.example")
    page = context_factory(viewport={"width": 1280, "height": 800}, bypass_csp=True).new_page()
    site.log_in(page)
    page.goto(f"{site.url}/admin/?verified=1")
    assert page.locator(".queue__entry", has_text="Badge Queue Own Domain").count() == 1
    assert page.locator("input[name=verified]").is_checked()
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / "en-queue-verified-1280.png"), full_page=True)
