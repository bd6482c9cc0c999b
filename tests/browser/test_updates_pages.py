"""Campaign updates in the browser (issue 20): an admin writes one, previews it as the email reads,
asks for approval; a second admin approves it; a signer's one-click unsubscribe page. In English and
Arabic, at phone and desktop widths, with axe (the preview frame included)."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest

from .conftest import MODERATOR_PASSWORD
from .test_accessibility import axe_violations

SECOND = "second.admin@campaign.example"


def storage_after_login(browser, url: str, email: str, code: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/admin/login")
    page.fill("#email", email)
    page.fill("#password", MODERATOR_PASSWORD)
    page.fill("#code", code)
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/")
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def authors(site, browser):
    """The cookies of the site's admin (the author) and of a second admin (the approver)."""
    from campaign.models import AdminRole
    from campaign.moderation import accounts

    with site.app.app_context():
        second = accounts.create_admin(SECOND, MODERATOR_PASSWORD, AdminRole.ADMIN)
        secret = second.totp_secret
    code = pyotp.TOTP(secret).at(dt.datetime.now(dt.timezone.utc))
    return (storage_after_login(browser, site.url, site.moderator_email, site.totp()),
            storage_after_login(browser, site.url, SECOND, code))


def press(page, name: str) -> None:
    """Click a button below the preview frame, scrolled to first: Chromium's own scrolling of the
    click into view moves the framed document too, and the click then lands off the button."""
    button = page.get_by_role("button", name=name)
    button.scroll_into_view_if_needed()
    button.click()


def looks_right(page, lang: str, width: int, name: str, screenshots) -> None:
    page.wait_for_load_state("load")  # measured before the style sheet applies, a page reads as too wide
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / f"{lang}-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_an_update_is_written_previewed_and_approved_by_a_second_admin(site, context_factory, screenshots, authors,
                                                                      lang, width):
    from ..factories import translated

    author, approver = authors
    options = {"viewport": {"width": width, "height": 800}, "locale": lang, "bypass_csp": True,
               "extra_http_headers": {"Accept-Language": lang}}
    page = context_factory(storage_state=author, **options).new_page()
    page.goto(f"{site.url}/admin/updates")
    looks_right(page, lang, width, "admin-updates", screenshots)
    with page.expect_navigation():
        page.get_by_role("button", name=translated(site.app, lang, "Write an update")).click()
    page.fill("#subject", "News from the campaign" if lang == "en" else "أخبار الحملة")
    page.fill("#body", "We met the **ministry**.\n\n- a list\n- of two" if lang == "en" else "التقينا **بالوزارة**.")
    looks_right(page, lang, width, "admin-update-edit", screenshots)
    page.get_by_role("button", name=translated(site.app, lang, "Save and preview")).click()
    page.wait_for_url(re.compile(r".*/admin/updates/\d+$"), wait_until="domcontentloaded")
    frame = page.frame_locator("iframe.update-preview__frame")
    assert frame.locator("strong").first.inner_text() in ("ministry", "بالوزارة")
    press(page, translated(site.app, lang, "Ask for approval"))
    page.wait_for_load_state("domcontentloaded")
    page.get_by_text(translated(site.app, lang, "Another admin must approve it.")).wait_for()
    assert page.get_by_role("button", name=translated(site.app, lang, "Approve")).count() == 0
    looks_right(page, lang, width, "admin-update-preview", screenshots)
    # Chromium paints a frame blank in a full-page screenshot (microsoft/playwright#40583): the
    # email's preview, as the admin sees it, is taken on its own
    preview = page.locator(".update-preview").first
    preview.scroll_into_view_if_needed()
    preview.screenshot(path=str(screenshots / f"{lang}-admin-update-preview-email-{width}.png"))

    second = context_factory(storage_state=approver, **options).new_page()
    second.goto(page.url)
    press(second, translated(site.app, lang, "Approve"))
    second.get_by_text(translated(site.app, lang, "Approved, not sent yet")).wait_for()
    assert translated(site.app, lang, "Approved, not sent yet") in second.locator("main").inner_text()
    looks_right(second, lang, width, "admin-update-approved", screenshots)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_one_click_unsubscribe_page(site, context_factory, screenshots, lang, width):
    from campaign import crypto
    from campaign.extensions import db
    from campaign.models import Update, UpdateDelivery, UpdateKind, UpdateStatus

    from ..factories import make_signature, shipped_letter, translated

    token = crypto.new_token()
    with site.app.app_context():
        signature = make_signature(organisation=f"Unsubscribing {lang} {width}", consent_updates=True)
        update = Update(letter_id=shipped_letter().id, kind=UpdateKind.NEWS, status=UpdateStatus.SENT)
        db.session.add(update)
        db.session.flush()
        db.session.add(UpdateDelivery(update_id=update.id, signature_id=signature.id, stop_hash=crypto.token_digest(token)))
        db.session.commit()
        signature_id = signature.id
    page = context_factory(viewport={"width": width, "height": 800}, locale=lang, bypass_csp=True,
                           extra_http_headers={"Accept-Language": lang}).new_page()
    page.goto(f"{site.url}/{lang}/updates/stop/{token}")
    looks_right(page, lang, width, "updates-stop", screenshots)
    with page.expect_navigation():
        page.get_by_role("button", name=translated(site.app, lang, "Unsubscribe")).click()
    assert translated(site.app, lang, "You are unsubscribed") in page.locator("h1").inner_text()
    looks_right(page, lang, width, "updates-stopped", screenshots)
    with site.app.app_context():
        from campaign.models import Signature

        assert db.session.get(Signature, signature_id).consent_updates is False
    page.goto(f"{site.url}/{lang}/updates/stop/{token[:-6]}")  # a link cut short when copied
    assert translated(site.app, lang, "This unsubscribe link does not work") in page.locator("h1").inner_text()
    looks_right(page, lang, width, "updates-stop-unknown", screenshots)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_an_update_saved_too_late_comes_back_to_send_again_and_a_draft_is_deleted(site, context_factory, screenshots,
                                                                                authors, lang, width):
    """The form's token ran out while the admin wrote (views/admin/carry.py): the text comes back,
    shown, and one press saves it. Then the draft is deleted, after a page that asks first."""
    from ..factories import translated

    author, _approver = authors
    options = {"viewport": {"width": width, "height": 800}, "locale": lang, "bypass_csp": True,
               "extra_http_headers": {"Accept-Language": lang}}
    page = context_factory(storage_state=author, **options).new_page()
    page.goto(f"{site.url}/admin/updates")
    with page.expect_navigation():
        page.get_by_role("button", name=translated(site.app, lang, "Write an update")).click()
    words = "Written for a long while.\n\nNothing of it may be lost." if lang == "en" else "كُتب على مهل.\n\nلا يضيع منه شيء."
    page.fill("#subject", "Late" if lang == "en" else "متأخر")
    page.fill("#body", words)
    page.evaluate("document.querySelector('main input[name=csrf_token]').value = 'stale'")
    with page.expect_navigation():
        page.get_by_role("button", name=translated(site.app, lang, "Save and preview")).click()
    assert page.get_by_role("heading", name=translated(site.app, lang, "Not saved yet")).count() == 1
    assert words in page.locator(".carried__texts").inner_text()
    looks_right(page, lang, width, "admin-carried", screenshots)
    with page.expect_navigation():
        page.get_by_role("button", name=translated(site.app, lang, "Send it again")).click()
    page.wait_for_url(re.compile(r".*/admin/updates/\d+$"), wait_until="domcontentloaded")
    assert words.split("\n")[0] in page.locator(".update-preview__text").inner_text()

    delete = page.get_by_role("link", name=translated(site.app, lang, "Delete this update"))
    delete.scroll_into_view_if_needed()  # first, as press() does: below the preview frame
    with page.expect_navigation():
        delete.click()
    looks_right(page, lang, width, "admin-update-delete", screenshots)
    with page.expect_navigation():
        page.get_by_role("button", name=translated(site.app, lang, "Delete the update")).click()
    assert translated(site.app, lang, "The update was deleted.") in page.locator(".flash-messages").inner_text()
