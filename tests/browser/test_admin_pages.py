"""The admin pages a moderator works in, at phone and desktop widths, in English and Arabic, with axe."""

from __future__ import annotations

import pytest

from .test_accessibility import axe_violations

ADMIN_PAGES = {"queue": "/admin/", "mail": "/admin/mail", "audit": "/admin/audit", "import": "/admin/import",
               "accounts": "/admin/accounts", "account": "/admin/accounts/2", "stats": "/admin/stats",
               "letters": "/admin/letters", "letter": "/admin/letters/ban-biometric-surveillance",
               "packs": "/admin/letters/ban-biometric-surveillance/packs", "partners": "/admin/partners",
               "partner-link": "/admin/partners/1/link",  # the first partner: made by ``undelivered`` below
               "bad-request": "/admin/?after=not-a-number",  # a value the page cannot use, said in the admin's layout
               "not-found": "/admin/signatures/999999"}


@pytest.fixture(scope="module")
def undelivered(site):
    """One given-up message, as the worker leaves it, so the undelivered-mail page has a row."""
    from campaign.extensions import db
    from campaign.mail import outbox
    from campaign.models import EmailKind, OutboxMessage, OutboxStatus

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
    # and a partner with a signature that came through it
    from campaign.publication import partners

    with site.app.app_context():
        admin = db.session.query(AdminUser).filter_by(email=site.moderator_email).one()
        partner, _token = partners.create("شبكة الحقوق الرقمية", "haqq", admin)
        make_signature(organisation="Through A Partner", partner_id=partner.id)


@pytest.fixture(scope="module")
def logged_in(site, browser):
    """The cookies of one login, shared by every context here (each code works once, and a new one
    comes every 30 seconds)."""
    context = browser.new_context()
    site.log_in(context.new_page())
    state = context.storage_state()
    context.close()
    return state


def looks_right(page, lang: str, width: int, name: str, screenshots) -> None:
    """Laid out in the language's direction, no wider than the screen, no serious axe violation; shot."""
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / f"{lang}-admin-{name}-{width}.png"), full_page=True)


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
    looks_right(page, lang, width, "signature", screenshots)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_admin_pages_at_phone_and_desktop_widths(site, context_factory, screenshots, undelivered, delivery, logged_in,
                                                 lang, width):
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
def test_no_serious_accessibility_violation_on_the_admin_pages(site, context_factory, undelivered, delivery, logged_in,
                                                               lang):
    page = context_factory(bypass_csp=True, locale=lang, storage_state=logged_in,
                           extra_http_headers={"Accept-Language": lang}).new_page()
    problems = {}
    for name, path in ADMIN_PAGES.items():
        page.goto(site.url + path)
        found = axe_violations(page)
        if found:
            problems[name] = found
    assert problems == {}


#: A moderator's reason of the kind that pushes a column out: a long address with no space to break at,
#: then Arabic.
LONG_NOTE = ("Rejected: the site https://www.coalition-example.org/" + "campaigns/" * 12 + "endorsements?ref="
             + "x" * 60 + " does not list them. " + "رُفض لأن موقع المنظمة لا يذكرها بين الموقعين. " * 4)


@pytest.fixture(scope="module")
def long_trail(site) -> int:
    """An entry in the queue with long values, and in its trail a rejection with a long reason and a
    correction with long values before and after."""
    from campaign.extensions import db
    from campaign.moderation import audit

    from ..factories import make_signature

    long_site = "https://www.coalition-example.org/" + "members/" * 10 + "a-very-long-organisation-page-name"
    with site.app.app_context():
        signature = make_signature(organisation="Coalition for the Right to Walk Unseen in Every Public Square "
                                   "of Every City", website=long_site, country="LB", comment="x" * 120)
        audit.record(None, "a.moderator.with.a.long.address@campaign-coalition.example.org", "signature.rejected",
                     "signature", signature.id, before={"status": "verified"}, after={"status": "rejected"},
                     note=LONG_NOTE)
        audit.record(None, "cli", "signature.edited", "signature", signature.id,
                     before={"organisation": "Coalition", "website": "https://www.coalition-example.org/"},
                     after={"organisation": signature.organisation, "website": long_site})
        db.session.commit()
        return signature.id


SCROLLS_SIDEWAYS = """selector => [...document.querySelectorAll(selector)]
    .filter(element => element.scrollWidth > element.clientWidth)
    .map(element => `${element.getAttribute("aria-label") || element.className}: `
                    + `${element.scrollWidth - element.clientWidth}px`)"""


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_no_column_of_the_audit_trail_or_the_queue_is_clipped(site, context_factory, screenshots, logged_in, long_trail,
                                                               lang, width):
    """A table's box (``.table-wrap``) may scroll, and then its last columns are out of sight: with a long
    reason and a long correction in the trail, and long values in the queue, none does."""
    page = context_factory(viewport={"width": width, "height": 800}, locale=lang, storage_state=logged_in,
                           extra_http_headers={"Accept-Language": lang}).new_page()
    for name, path, selector in (("audit", "/admin/audit", ".table-wrap"),
                                 ("signature-trail", f"/admin/signatures/{long_trail}", ".table-wrap"),
                                 ("queue", "/admin/?country=LB", ".table-wrap, .queue__entry")):
        page.goto(site.url + path)
        if name != "queue":
            assert page.locator(".table-wrap").count() == 1 and "endorsements?ref=" in page.locator(".table-wrap").inner_text()
        else:
            assert page.locator(f'.queue__entry:has(input[name=ids][value="{long_trail}"])').count() == 1
        assert page.evaluate(SCROLLS_SIDEWAYS, selector) == [], f"{name} at {width}px scrolls sideways"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        page.screenshot(path=str(screenshots / f"{lang}-admin-{name}-long-{width}.png"), full_page=True)


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
def test_after_a_decision_the_queue_opens_at_what_was_done_and_tab_goes_on_to_the_entries(
        site, context_factory, screenshots, logged_in, lang, width):
    from ..factories import make_signature

    with site.app.app_context():  # each run its own entries, found by their names
        for number in range(3):
            make_signature(organisation=f"Focus Org {lang} {width} {number}", country="FI")
    page = context_factory(bypass_csp=True, viewport={"width": width, "height": 800}, locale=lang,
                           storage_state=logged_in, extra_http_headers={"Accept-Language": lang}).new_page()
    page.goto(f"{site.url}/admin/?q=Focus+Org+{lang}+{width}")
    assert page.locator(".queue__entry").count() == 3
    tab_to(page, ".entry-decision button[form^=approve]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement?.id") == "messages", "the focus is on what was done"
    said = page.locator("#messages")
    assert said.is_visible() and said.bounding_box()["y"] < 800, "and it is in view"
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / f"{lang}-admin-queue-decided-{width}.png"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement?.closest('form[role=search]') === null"), \
        "Tab goes on from the message to the entries, not back through the filters"
    assert page.evaluate("!!document.activeElement?.closest('main')")


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


LETTER_PAGE = "/admin/letters/ban-biometric-surveillance"


def record_delivery(site, title: str = "Handed to the UN High Commissioner for Human Rights, Geneva") -> int:
    """A delivery with its photo, written in English and Arabic, as an admin records it."""
    import datetime as dt
    import io

    from PIL import Image

    from campaign import letters
    from campaign.lifecycle import timeline
    from campaign.models import TimelineKind

    from ..factories import shipped_letter

    photo = io.BytesIO()
    Image.new("RGB", (900, 600), (122, 31, 43)).save(photo, "JPEG")
    with site.app.app_context():
        event = timeline.record_event(
            letters.LetterInfo.of(shipped_letter()), TimelineKind.DELIVERED,
            dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.timezone.utc), {
                "en": timeline.Words(title, "Ten organisations handed over the letter and its signatures."),
                "ar": timeline.Words("سُلّمت إلى المفوض السامي لحقوق الإنسان في جنيف", "سلّمت عشر منظمات الرسالة وتوقيعاتها."),
            }, None, photo.getvalue(), None, "test")
        return event.id


@pytest.fixture(scope="module")
def delivery(site):
    return record_delivery(site)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_pages_that_ask_first_and_the_edit_form_read_well(site, context_factory, screenshots, logged_in, delivery,
                                                             lang, width):
    """Close now and Remove ask on a page of their own; Edit opens the adding form, filled in; a refused
    edit and a refused closing date come back as typed."""
    from ..factories import translated

    page = context_factory(bypass_csp=True, viewport={"width": width, "height": 800}, locale=lang,
                           storage_state=logged_in, extra_http_headers={"Accept-Language": lang}).new_page()
    for name, path in (("close-now", f"{LETTER_PAGE}/close-now"), ("remove-event", f"{LETTER_PAGE}/timeline/{delivery}/remove"),
                       ("edit-event", f"{LETTER_PAGE}/timeline/{delivery}/edit")):
        page.goto(site.url + path)
        looks_right(page, lang, width, name, screenshots)
    assert page.input_value("#title_ar") == "سُلّمت إلى المفوض السامي لحقوق الإنسان في جنيف"
    assert page.locator("#remove_file").count() == 1 and page.locator("img.event-file__photo").is_visible()

    page.fill("#title_en", "")
    page.fill("#summary_ar", "ملخص كُتب من جديد")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    assert page.input_value("#summary_ar") == "ملخص كُتب من جديد"  # what was typed is back
    looks_right(page, lang, width, "edit-event-refused", screenshots)

    page.goto(site.url + LETTER_PAGE)
    page.fill("#closes_at", "1999-01-01T00:00")
    with page.expect_navigation():
        page.get_by_role("button", name=translated(site.app, lang, "Save the closing date")).click()
    assert page.input_value("#closes_at") == "1999-01-01T00:00"
    assert page.locator("#closes_at-error").is_visible()
    looks_right(page, lang, width, "letter-closing-refused", screenshots)


def test_asking_first_works_without_script_and_by_keyboard(site, context_factory, screenshots, logged_in):
    """No script: Close now, then Cancel, changes nothing; an event is edited, then removed after its
    question, each by keyboard."""
    from campaign.extensions import db
    from campaign.models import TimelineEvent

    from ..factories import shipped_letter

    event_id = record_delivery(site, "Handed to a delegation, by keyboard")
    page = context_factory(java_script_enabled=False, viewport={"width": 1280, "height": 800},
                           storage_state=logged_in).new_page()
    page.goto(site.url + LETTER_PAGE)
    tab_to(page, 'a[href$="/close-now"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/close-now")
    tab_to(page, ".confirm-page a.button")  # Cancel
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == site.url + LETTER_PAGE
    with site.app.app_context():
        assert shipped_letter().closes_at is None  # asked, not confirmed: still open

    tab_to(page, f'a[href$="/timeline/{event_id}/edit"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#title_en")
    page.keyboard.press("Control+A")
    page.keyboard.type("Handed to a delegation in Geneva")
    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == site.url + LETTER_PAGE and page.locator(".flash--success").count() == 1
    assert "Handed to a delegation in Geneva" in page.goto(f"{site.url}/en/timeline").text()

    page.goto(site.url + LETTER_PAGE)
    tab_to(page, f'a[href$="/timeline/{event_id}/remove"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Handed to a delegation in Geneva" in page.locator("main").inner_text()
    page.screenshot(path=str(screenshots / "en-admin-remove-event-no-script-1280.png"))
    tab_to(page, ".confirm-page button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == site.url + LETTER_PAGE and page.locator(".flash--success").count() == 1
    with site.app.app_context():
        assert db.session.get(TimelineEvent, event_id) is None


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_an_expired_form_says_so_and_how_to_go_on(site, context_factory, screenshots, logged_in, lang, width):
    """A form sent with a token that no longer holds (open for hours, or the session ended): the page
    says nothing changed and leads back to the form's page."""
    from ..factories import translated

    context = context_factory(viewport={"width": width, "height": 800}, locale=lang, storage_state=logged_in,
                              extra_http_headers={"Accept-Language": lang}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site.url}/admin/")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(field => { field.value = 'stale'; })")
    page.click(".admin-nav button[type=submit]")  # log out, with a token that no longer holds
    assert page.get_by_role("heading", name=translated(site.app, lang, "This form has expired")).count() == 1
    assert page.get_by_role("link", name=translated(site.app, lang, "Back to the page you came from")).count() == 1
    looks_right(page, lang, width, "form-expired", screenshots)
