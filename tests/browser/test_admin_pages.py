"""The admin pages a moderator works in, at phone and desktop widths, in English and Arabic, with axe."""

from __future__ import annotations

import pytest

from .test_accessibility import axe_violations

ADMIN_PAGES = {"queue": "/admin/", "mail": "/admin/mail", "audit": "/admin/audit", "import": "/admin/import",
               "accounts": "/admin/accounts", "account": "/admin/accounts/2", "stats": "/admin/stats",
               "letters": "/admin/letters", "letter": "/admin/letters/ban-biometric-surveillance",
               "packs": "/admin/letters/ban-biometric-surveillance/packs"}


@pytest.fixture(scope="module")
def undelivered(site):
    """One given-up message, as the worker leaves it, so the undelivered-mail page has a row."""
    from campaign.extensions import db
    from campaign.mail import outbox
    from campaign.mail.rendering import EmailKind
    from campaign.models import OutboxMessage, OutboxStatus

    with site.app.test_request_context():
        outbox.enqueue(EmailKind.VERIFICATION, "gone@example.org", "en", letter_title="A letter", signer_name="Gone",
                       confirm_hours=72, confirm_url="x", withdraw_url="x", not_me_url="x", manage_url="x")
        message = db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
        message.status, message.recipient, message.body_text, message.body_html = OutboxStatus.FAILED, None, None, None
        message.last_error = "SMTPRecipientsRefused: 550 5.1.1 <[email]>: Recipient address rejected"
        db.session.commit()
    # and entries waiting in the queue: a new one, and a published one whose signer corrected it
    from ..factories import make_signature

    with site.app.app_context():
        make_signature(organisation="منظمة تنتظر المراجعة", country="LB", comment="Please list us")
        corrected = make_signature(status="published", organisation="Rights Colective", country="BR")
        corrected.correction = {"organisation": "Rights Collective", "city": "Recife"}
        corrected.correction_at = corrected.created_at
        db.session.commit()
    # and a colleague whose account waits for its link to be used (account #2)
    from campaign.models import AdminRole, AdminUser
    from campaign.moderation import enrolment

    with site.app.app_context():
        admin = db.session.query(AdminUser).filter_by(email=site.moderator_email).one()
        enrolment.invite("colleague@campaign.example", AdminRole.MODERATOR, admin)
    # and delivery packs in every state: made (English), failed (French), waiting (Arabic)
    from campaign import letters
    from campaign.models import PackBuild, PackStatus
    from campaign.publication import counts, pack_builds

    with site.app.app_context():
        letter = letters.letter_by_slug("ban-biometric-surveillance")
        counts.rebuild_counts(letter.id)  # the entries above were written past the counts
        db.session.commit()
        admin = db.session.query(AdminUser).filter_by(email=site.moderator_email).one()
        pack_builds.request_build(letter, "en", admin)
        assert pack_builds.build(pack_builds.claim_next()) is PackStatus.READY
        db.session.add(PackBuild(letter_id=letter.id, language="fr", status=PackStatus.FAILED,
                                 error=pack_builds.COUNTS_DISAGREE))
        db.session.commit()
        pack_builds.request_build(letter, "ar", admin)


@pytest.fixture(scope="module")
def logged_in(site, browser):
    """The cookies of one login, shared by every context here (each code works once, and a new one
    comes every 30 seconds)."""
    context = browser.new_context()
    site.log_in(context.new_page())
    state = context.storage_state()
    context.close()
    return state


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_a_corrected_entry_reads_well_on_its_own_page(site, context_factory, screenshots, undelivered, logged_in, lang,
                                                      width):
    """The page of one signature whose signer corrected it: before and after, then the decisions."""
    from sqlalchemy import select

    from campaign.extensions import db
    from campaign.models import Signature

    from ..factories import translated

    with site.app.app_context():
        corrected = db.session.scalars(select(Signature).where(Signature.organisation == "Rights Colective")).one()
    context = context_factory(viewport={"width": width, "height": 800}, locale=lang, storage_state=logged_in,
                              extra_http_headers={"Accept-Language": lang}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site.url}/admin/signatures/{corrected.id}")
    assert page.get_by_role("button", name=translated(site.app, lang, "Apply the correction")).count() == 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the signature page is {overflow}px wider than a {width}px screen"
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / f"{lang}-admin-signature-{width}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_admin_pages_at_phone_and_desktop_widths(site, context_factory, screenshots, undelivered, logged_in, lang,
                                                 width):
    context = context_factory(viewport={"width": width, "height": 800}, locale=lang, storage_state=logged_in,
                              extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    for name, path in ADMIN_PAGES.items():
        page.goto(site.url + path)
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        page.screenshot(path=str(screenshots / f"{lang}-admin-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_serious_accessibility_violation_on_the_admin_pages(site, context_factory, undelivered, logged_in, lang):
    page = context_factory(bypass_csp=True, locale=lang, storage_state=logged_in,
                           extra_http_headers={"Accept-Language": lang}).new_page()
    problems = {}
    for name, path in ADMIN_PAGES.items():
        page.goto(site.url + path)
        found = axe_violations(page)
        if found:
            problems[name] = found
    assert problems == {}


def tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement?.matches(selector) ?? false", selector):
            return
    raise AssertionError(f"{selector} never took the focus by Tab")


def test_a_queue_of_fifty_is_cleared_by_keyboard_alone(site, context_factory, screenshots, logged_in):
    from ..factories import make_signature

    with site.app.app_context():
        for number in range(50):
            make_signature(organisation=f"Keyboard Org {number:02}", country="IS")
    page = context_factory(viewport={"width": 1280, "height": 800}, storage_state=logged_in).new_page()
    page.goto(f"{site.url}/admin/?country=IS")
    assert page.locator(".queue__entry").count() == 50
    tab_to(page, ".select-all a")
    page.keyboard.press("Enter")
    page.wait_for_url("**select=all**")
    assert page.locator("input[name=ids]:checked").count() == 50
    page.screenshot(path=str(screenshots / "en-admin-queue-selected-1280.png"))
    tab_to(page, ".decision--top button[value=approve]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".queue__entry").count() == 0
    assert "50 signatures approved." in page.locator("main").inner_text()


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_an_import_preview_reads_well_and_passes_axe(site, context_factory, screenshots, logged_in, tmp_path, lang,
                                                    width):
    csv_file = tmp_path / "endorsers.csv"
    csv_file.write_text("kind,name,organisation,country,consent_publish\norganisation,,Preview Org,LB,yes\n"
                        "individual,Ana Souza,,Palestine,yes\norganisation,,,FR,yes\n", encoding="utf-8")
    page = context_factory(bypass_csp=True, viewport={"width": width, "height": 800}, locale=lang,
                           storage_state=logged_in, extra_http_headers={"Accept-Language": lang}).new_page()
    page.goto(f"{site.url}/admin/import")
    page.set_input_files("#file", str(csv_file))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator(".import-rows--refused > li").count() == 2
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the preview is {overflow}px wider than a {width}px screen"
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / f"{lang}-admin-import-preview-{width}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_an_account_is_created_and_enrolled_in_the_browser(site, context_factory, screenshots, logged_in, lang, width):
    """An admin creates an account; its person opens the link, scans (here: reads) the key, chooses a
    password, types a code and lands in the queue, logged in."""
    import pyotp

    admin = context_factory(bypass_csp=True, viewport={"width": width, "height": 800}, locale=lang,
                            storage_state=logged_in, extra_http_headers={"Accept-Language": lang}).new_page()
    admin.goto(f"{site.url}/admin/accounts")
    admin.fill("#email", f"new-{lang}-{width}@campaign.example")
    admin.check("#role-0")
    with admin.expect_navigation():
        admin.click("main form button[type=submit]")
    link = admin.input_value("#setup-link")
    assert axe_violations(admin) == []
    admin.screenshot(path=str(screenshots / f"{lang}-admin-account-link-{width}.png"), full_page=True)

    person = context_factory(bypass_csp=True, viewport={"width": width, "height": 800}, locale=lang,
                             extra_http_headers={"Accept-Language": lang}).new_page()
    person.goto(link)
    assert person.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    assert person.locator("svg.qr-code").is_visible()
    overflow = person.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the setup page is {overflow}px wider than a {width}px screen"
    assert axe_violations(person) == []
    person.screenshot(path=str(screenshots / f"{lang}-admin-account-setup-{width}.png"), full_page=True)
    secret = person.inner_text("code.secret").replace(" ", "")
    person.fill("#new_password", "violet lantern across seven rivers")
    person.fill("#repeat_password", "violet lantern across seven rivers")
    person.fill("#code", pyotp.TOTP(secret).now())
    with person.expect_navigation():
        person.click("main form button[type=submit]")
    assert person.url.endswith("/admin/")
    assert person.locator(".flash--success").count() == 1
