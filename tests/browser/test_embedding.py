"""The sign form partners embed (issue 22), in Chromium: signed end to end inside an iframe on a
partner's page served from another site (``localhost`` on a second port, while our site is
``127.0.0.1``) with third-party cookies blocked, refused framing by a site that is not allowed,
laid out at 360 and 1280 px and in a 400 px frame in English and Arabic; partners' private pages;
the counter dark. Screenshots: ``<lang>-embed-sign-<width>.png``, ``<lang>-embed-framed-400.png``,
``<lang>-partner-page-<width>.png``, ``<lang>-counter-dark-300.png``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ..smtp_sink import free_port
from .test_accessibility import axe_violations

SLUG = "ban-biometric-surveillance"


class PartnerSite:
    """A partner's page on its own port: ``/<lang>`` frames our sign form, crediting ``rights-net``."""

    def __init__(self, site_url: str) -> None:
        embed = f"{site_url}/embed/{SLUG}/sign"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                path, _, query = self.path.partition("?")
                lang = path.strip("/") or "en"
                # ``?tall``: the frame as the README's snippet sets it (full width, no scrolling inside)
                frame = ('style="width:100%;max-width:400px;height:2200px;border:0"' if query == "tall"
                         else 'width="400" height="1300"')
                body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Partner</title>'
                        f'<meta name="viewport" content="width=device-width"></head>'
                        f'<body><h1>Partner</h1><iframe src="{embed}?lang={lang}&amp;via=rights-net" title="Sign" '
                        f'{frame}></iframe></body></html>').encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.origin = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def partner_sites(site):
    """Two partner sites: the first allowed to frame the form, the second not."""
    from campaign.extensions import db
    from campaign.models import AdminUser, Partner
    from campaign.publication import partners

    allowed, refused = PartnerSite(site.url), PartnerSite(site.url)
    site.app.config["EMBED_ALLOWED_ORIGINS"] = [allowed.origin]
    with site.app.app_context():
        if db.session.query(Partner).filter_by(code="rights-net").one_or_none() is None:
            partners.create("Rights Network", "rights-net",
                            db.session.query(AdminUser).filter_by(email=site.moderator_email).one())
    yield allowed, refused
    site.app.config["EMBED_ALLOWED_ORIGINS"] = []
    allowed.close()
    refused.close()


def fill_as_an_individual(frame, name: str, address: str) -> None:
    """The embedded form's fields for a person from Lebanon (the consent boxes left to the test)."""
    frame.locator("#kind-1").check()
    frame.locator("#name").fill(name)
    frame.locator("#country").select_option("LB")
    frame.locator("#email").fill(address)


@pytest.mark.parametrize("lang, javascript", [("en", True), ("ar", True), ("es", False)])
def test_the_embedded_form_signs_end_to_end_in_a_partners_frame(site, partner_sites, context_factory,
                                                                 screenshots, lang, javascript):
    """Third-party cookies blocked; once with JavaScript off in the partner's page and our frame."""
    from campaign.extensions import db
    from campaign.models import Partner, Signature

    allowed, _refused = partner_sites
    context = context_factory(viewport={"width": 420, "height": 1400}, locale=lang, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{allowed.origin}/{lang}")
    frame = page.frame_locator("iframe")
    frame.locator("form.sign-form").wait_for()
    overflow = page.frames[1].evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the embedded form is {overflow}px wider than its 400px frame"
    if javascript:
        page.screenshot(path=str(screenshots / f"{lang}-embed-framed-400.png"), full_page=True)
    address = f"framed-{lang}@example.org"
    fill_as_an_individual(frame, f"Framed Signer {lang}", address)
    frame.locator("#consent_publish").check()
    frame.locator("form.sign-form button[type=submit]").click()
    frame.locator(".typed-address").wait_for()
    assert address in frame.locator(".typed-address").inner_text()
    assert context.cookies() == [], "the embedded form set a cookie"

    confirm = site.link(site.mail_to(address), "confirm")
    page.goto(confirm)  # the emailed link opens on our site, not in the frame
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/sign/thank-you")
    with site.app.app_context():
        signature = db.session.query(Signature).filter_by(name=f"Framed Signer {lang}").one()
        partner = db.session.query(Partner).filter_by(code="rights-net").one()
        assert (signature.source, signature.partner_id, signature.status.value) == ("embed", partner.id, "verified")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_on_a_phone_the_answer_comes_where_the_reader_pressed_the_button(site, partner_sites, context_factory,
                                                                        screenshots, lang):
    """A frame set tall, as the README's snippet does, on a 360 px phone: the reader scrolled down to
    the button; the form sent too soon, then the "check your inbox" answer, each shows there, not at
    the frame's top, out of view."""
    allowed, _refused = partner_sites
    page = context_factory(viewport={"width": 360, "height": 740}, locale=lang).new_page()
    page.goto(f"{allowed.origin}/{lang}?tall")
    frame = page.frame_locator("iframe")
    frame.locator("form.sign-form").wait_for()

    def in_view(locator) -> bool:
        box = locator.bounding_box()
        return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 100) <= 740

    site.app.config["SIGN_MIN_SECONDS"] = 30  # the first sending comes back: too soon
    try:
        fill_as_an_individual(frame, f"Phone Signer {lang}", f"phone-{lang}@example.org")
        frame.locator("form.sign-form button[type=submit]").click()
        frame.locator("form.sign-form .notice").last.wait_for()
        assert in_view(frame.locator("form.sign-form .notice").last), "the 'sent too soon' notice is out of view"
    finally:
        site.app.config["SIGN_MIN_SECONDS"] = 0
    frame.locator("form.sign-form button[type=submit]").click()
    frame.locator(".typed-address").wait_for()
    words = frame.locator(".embed-answer > *")
    top, bottom = words.first.bounding_box(), words.last.bounding_box()
    shown = min(bottom["y"] + bottom["height"], 740) - max(top["y"], 0)
    assert shown >= 300, f"only {shown:.0f} px of the answer is in view: it stands at the frame's top, out of view"
    page.screenshot(path=str(screenshots / f"{lang}-embed-answer-phone-360.png"))


def test_a_site_not_allowed_cannot_frame_the_form(site, partner_sites, context_factory):
    _allowed, refused = partner_sites
    page = context_factory().new_page()
    page.goto(f"{refused.origin}/en")
    page.wait_for_timeout(500)  # the frame's navigation is blocked, not slow: give it the time to fail
    framed = page.frames[1]
    assert framed.locator("form.sign-form").count() == 0
    assert not framed.url.startswith(site.url)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_embedded_form_and_the_partner_page_read_well(site, partner_sites, context_factory, screenshots, lang,
                                                          width):
    from campaign.extensions import db
    from campaign.models import AdminUser, Partner
    from campaign.publication import partners

    with site.app.app_context():
        partner = db.session.query(Partner).filter_by(code="rights-net").one()
        token = partners.new_page_link(partner.id, db.session.query(AdminUser).filter_by(
            email=site.moderator_email).one())
    page = context_factory(viewport={"width": width, "height": 800}, locale=lang, bypass_csp=True).new_page()
    for name, path in (("embed-sign", f"/embed/{SLUG}/sign?lang={lang}"), ("partner-page", f"/{lang}/partners/{token}")):
        page.goto(site.url + path)
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        assert axe_violations(page) == [], name
        page.screenshot(path=str(screenshots / f"{lang}-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("how", ["prefers-dark", "theme-dark"])
def test_the_dark_counter_fits_its_frame_in_every_language(site, context_factory, screenshots, how):
    options = {"color_scheme": "dark"} if how == "prefers-dark" else {}
    page = context_factory(viewport={"width": 300, "height": 200}, bypass_csp=True, **options).new_page()
    for lang in site.app.config["LANGUAGES"]:
        page.goto(f"{site.url}/embed/{SLUG}/counter?lang={lang}" + ("&theme=dark" if how == "theme-dark" else ""))
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(29, 27, 26)", f"{lang}: not dark ({background})"
        fits = page.evaluate("[document.documentElement.scrollWidth <= document.documentElement.clientWidth,"
                             " document.documentElement.scrollHeight <= 200]")
        assert fits == [True, True], f"{lang}: the dark counter overflows its frame"
        assert axe_violations(page) == [], lang
        if how == "theme-dark":
            page.screenshot(path=str(screenshots / f"{lang}-counter-dark-300.png"))
