"""What the browser sees: requests only to our own origin, no cookie for readers, and layouts that
hold at phone and desktop widths, right-to-left in Arabic. Screenshots go to ``screenshots/``."""

from __future__ import annotations

import pytest

from ..factories import LANGUAGES

PAGES = {"letter": "/{lang}/", "sign": "/{lang}/sign", "list": "/{lang}/signatories", "print": "/{lang}/print"}


def test_every_request_goes_to_the_site_itself(site, context_factory):
    context = context_factory()
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    for path in ("/", "/ar/", "/es/signatories", "/fr/sign", "/de/privacy",
                 "/embed/ban-biometric-surveillance/counter?lang=pt"):
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
    assert requested and all(url.startswith(site.url + "/") for url in requested), \
        [url for url in requested if not url.startswith(site.url + "/")]


def test_reading_the_letter_and_the_list_sets_no_cookie(site, context_factory):
    context = context_factory()
    page = context.new_page()
    for path in ("/", "/en/", "/ar/", "/en/signatories", "/ar/signatories?kind=individual", "/en/privacy", "/en/sign",
                 "/ar/sign"):
        page.goto(site.url + path)
    assert context.cookies() == [], "opening the sign form is reading too"


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_layout_at_phone_and_desktop_widths(site, context_factory, screenshots, lang, width):
    page = context_factory(viewport={"width": width, "height": 800}).new_page()
    for name, path in PAGES.items():
        page.goto(site.url + path.format(lang=lang))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        page.screenshot(path=str(screenshots / f"{lang}-{name}-{width}.png"), full_page=True)


def test_arabic_pages_lay_out_right_to_left(site, context_factory):
    page = context_factory().new_page()
    page.goto(f"{site.url}/ar/sign")
    assert page.evaluate("getComputedStyle(document.querySelector('form.sign-form')).direction") == "rtl"
    form_box = page.locator("#name").bounding_box()
    label_box = page.locator("label[for=name]").bounding_box()
    assert label_box["x"] + label_box["width"] >= form_box["x"] + form_box["width"] - 2, "labels start at the right"
    page.goto(f"{site.url}/ar/signatories")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    page.goto(f"{site.url}/en/signatories")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "ltr"


@pytest.mark.parametrize("lang, expected", [("en", ["decimal", "lower-alpha", "lower-roman"]),
                                             ("ar", ["decimal", "arabic-indic", "arabic-abjad"])])
def test_each_level_of_the_letters_lists_is_numbered_its_own_way(site, context_factory, lang, expected):
    """Level 2 and level 3 of the demands once both read ١، ٢، ٣ in Arabic."""
    page = context_factory().new_page()
    page.goto(f"{site.url}/{lang}/")
    styles = page.evaluate("""[1, 2, 3].map(depth => {
        const list = document.querySelector('.letter__text ' + Array(depth).fill('ol').join(' '));
        return list && getComputedStyle(list).listStyleType; })""")
    assert styles == expected


def test_the_list_is_right_to_left_with_entries(site, context_factory):
    from ..factories import published

    with site.app.app_context():
        published(organisation="منظمة الاختبار", country="EG")
    page = context_factory().new_page()
    page.goto(f"{site.url}/ar/signatories?kind=organisation&q=منظمة الاختبار")  # other tests list hundreds
    assert page.evaluate("getComputedStyle(document.querySelector('.signatories')).direction") == "rtl"
    entry = page.locator(".signatory", has_text="منظمة الاختبار")
    name = entry.locator(".signatory__name").bounding_box()
    country = entry.locator(".signatory__country").bounding_box()
    assert name["x"] > country["x"], "the name starts on the right, the country ends on the left"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_list_filters_fit_a_phone_in_every_language(site, context_factory, lang):
    page = context_factory(viewport={"width": 360, "height": 800}).new_page()
    page.goto(f"{site.url}/{lang}/signatories")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the list is {overflow}px wider than a 360px screen"
    clipped = page.evaluate("""() => [...document.querySelectorAll('main form :is(input, select, button, label)')]
        .filter(element => { const box = element.getBoundingClientRect();
                             return box.width > 0 && (box.left < 0 || box.right > window.innerWidth); })
        .map(element => element.outerHTML.slice(0, 80))""")
    assert clipped == []


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_one_very_long_word_on_the_list_never_widens_a_phone_page(site, context_factory, lang):
    from ..factories import published

    with site.app.app_context():
        published(kind="individual", name="Wolfgang Schmidt-Überlänge-Donaudampfschifffahrtsgesellschaftskapitänswitwe",
                  organisation="Bundesverband für Datenschutzrechtsdurchsetzungsangelegenheitenvereinigung", country="DE")
        published(organisation="=HYPERLINK(\"http://evil.example\",\"Click-me-now-please-right-here\")", country="DE")
    page = context_factory(viewport={"width": 360, "height": 800}).new_page()
    for path in (f"/{lang}/", f"/{lang}/signatories", f"/{lang}/signatories?kind=individual"):
        page.goto(site.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a 360px screen"
