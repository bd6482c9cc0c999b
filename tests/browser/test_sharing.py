"""Sharing in a browser (issue 22): each language's card, the share component on the letter and the
thank-you pages at 360 and 1280 px in English and Arabic, the copy button, and the Mastodon page.
The cards and screenshots go to ``screenshots/`` (``card-<lang>.png``, ``<lang>-share-<page>-<width>.png``)."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from PIL import Image

from .test_accessibility import axe_violations

PAGES = {"letter": "/{lang}/", "thank-you": "/{lang}/sign/thank-you"}


@pytest.fixture
def thousands(site):
    """12,345 published signatures for the length of a test (the card then says "12,000+")."""
    from campaign.extensions import db
    from campaign.models import PublishedTally
    from campaign.publication import counts
    from campaign.web import caches

    from ..factories import shipped_letter

    with site.app.app_context():
        letter = shipped_letter()
        key = (letter.id, "individual_unnamed", "AQ")  # no other test counts anyone from Antarctica
        db.session.add(PublishedTally(letter_id=key[0], kind=key[1], country=key[2],
                                      count=12345 - counts.published_count(letter.id)))
        db.session.commit()
        caches.clear()  # the letter page (and its og:image) is kept for a while: this process forgets it now
    yield
    with site.app.app_context():
        db.session.delete(db.session.get(PublishedTally, key))
        db.session.commit()
        caches.clear()


def save_card(site, page, lang: str, path) -> str:
    page.goto(f"{site.url}/{lang}/")
    image_url = page.locator('meta[property="og:image"]').get_attribute("content")
    assert image_url.startswith(site.url + f"/{lang}/card-")
    response = page.request.get(image_url)
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.body())).size == (1200, 630)
    path.write_bytes(response.body())
    return image_url


def test_each_language_has_its_card(site, context_factory, screenshots, thousands):
    page = context_factory().new_page()
    for lang in site.app.config["LANGUAGES"]:
        image_url = save_card(site, page, lang, screenshots / f"card-{lang}.png")
        assert "/card-12000-" in image_url
        # and it shows as a picture in a browser, as the sites it is shared on show it
        page.goto(image_url)
        assert page.evaluate("document.images[0].naturalWidth") == 1200


def test_below_a_thousand_the_card_gives_the_exact_count(site, context_factory, screenshots):
    page = context_factory().new_page()
    for lang in ("en", "ar"):
        image_url = save_card(site, page, lang, screenshots / f"card-{lang}-exact.png")
        assert "/card-12000-" not in image_url


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("name", PAGES)
def test_the_share_component_reads_well(site, context_factory, screenshots, lang, width, name):
    context = context_factory(viewport={"width": width, "height": 800}, bypass_csp=True)
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.goto(site.url + PAGES[name].format(lang=lang))
    share = page.locator("section.share")
    share.scroll_into_view_if_needed()
    assert page.locator("[data-share-copy]").is_visible(), "the copy button shows where the script runs"
    assert page.locator(".share__links a").count() == 8
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the {name} page is {overflow}px wider than a {width}px screen"
    box = share.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    if lang == "ar":
        assert page.evaluate("getComputedStyle(document.querySelector('.share__links')).direction") == "rtl"
        assert page.evaluate("getComputedStyle(document.querySelector('#share-url')).direction") == "ltr"
    assert axe_violations(page) == []
    share.screenshot(path=str(screenshots / f"{lang}-share-{name}-{width}.png"))
    requested = [url for url in requested if not url.startswith(site.url + "/")]
    assert requested == [], "the share links load nothing until clicked"


def test_copy_link_puts_the_letter_address_on_the_clipboard(site, context_factory):
    context = context_factory(locale="ar")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page = context.new_page()
    page.goto(f"{site.url}/ar/sign/thank-you")
    page.click("[data-share-copy]")
    status = page.locator("[data-share-status]")
    status.wait_for(state="visible")
    page.wait_for_function("document.querySelector('[data-share-status]').textContent.length > 0")
    assert status.text_content() == page.locator("[data-share]").get_attribute("data-copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{site.url}/ar/"


def test_share_with_an_app_hands_the_letter_to_the_devices_share_sheet(site, context_factory):
    """Where the browser has the Web Share API (stood in for here: desktop Chromium has none), the
    button appears and hands over the letter's title and address, nothing about the reader."""
    context = context_factory(locale="ar")
    context.add_init_script("""
        window.sharedWith = [];
        navigator.canShare = function () { return true; };
        navigator.share = function (data) { window.sharedWith.push(data); return Promise.resolve(); };
    """)
    page = context.new_page()
    page.goto(f"{site.url}/ar/sign/thank-you")
    native = page.locator("[data-share-native]")
    native.wait_for(state="visible")
    native.click()
    page.wait_for_function("window.sharedWith.length === 1")
    shared = page.evaluate("window.sharedWith[0]")
    assert shared == {"title": page.locator("[data-share]").get_attribute("data-share-title"), "url": f"{site.url}/ar/"}


def test_without_the_web_share_api_there_is_no_share_with_an_app_button(site, context_factory):
    page = context_factory(locale="en").new_page()
    page.add_init_script("delete Navigator.prototype.share; delete Navigator.prototype.canShare;")
    page.goto(f"{site.url}/en/")
    page.locator("[data-share-copy]").wait_for(state="visible")
    assert not page.locator("[data-share-native]").is_visible()


def test_without_javascript_the_links_and_the_address_remain(site, context_factory):
    page = context_factory(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/en/")
    assert not page.locator("[data-share-copy]").is_visible(), "no button that cannot work"
    assert page.locator("#share-url").input_value() == f"{site.url}/en/"
    assert page.locator(".share__links a").count() == 8


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_mastodon_page_leads_to_a_new_post_on_the_reader_server(site, context_factory, screenshots, lang):
    """A plain redirect to the server's share page, after the reader typed it (the page's
    ``form-action`` lets the redirect after its form go to ``https:``: Chromium checks it)."""
    context = context_factory(viewport={"width": 360, "height": 800}, bypass_csp=False)
    reached = []
    context.route("https://social.example/**", lambda route: (reached.append(route.request.url), route.fulfill(
        status=200, content_type="text/html", body="<p>post</p>")))
    page = context.new_page()
    page.goto(f"{site.url}/{lang}/")
    page.click(".share__link--mastodon")
    page.wait_for_url(f"**/{lang}/share/mastodon")
    page.fill("#instance", "not a server/")
    page.click("main button[type=submit]")
    assert page.locator("#instance[aria-invalid=true]").count() == 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the Mastodon page is {overflow}px wider than a 360px screen"
    page.screenshot(path=str(screenshots / f"{lang}-share-mastodon-360.png"), full_page=True)
    page.fill("#instance", "@reader@social.example")
    page.click("main button[type=submit]")
    page.wait_for_url("https://social.example/**")
    assert reached and quote(f"{site.url}/{lang}/", safe="") in reached[0]
    assert context.cookies() == [], "the share pages set no cookie"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_mastodon_page_passes_axe(site, context_factory, lang):
    page = context_factory(bypass_csp=True).new_page()
    page.goto(f"{site.url}/{lang}/share/mastodon?instance=bad%20server")
    assert axe_violations(page) == []
    page.goto(f"{site.url}/{lang}/share/mastodon?instance=social.example")
    assert axe_violations(page) == []
