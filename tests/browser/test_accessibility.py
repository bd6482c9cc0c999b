"""Accessibility in a real browser: axe-core on every page type, and signing with the keyboard alone."""

from __future__ import annotations

import uuid

import pytest

from .conftest import AXE, MODERATOR_PASSWORD


def axe_violations(page) -> list[dict]:
    """Serious and critical violations found by axe-core (served from node_modules, never a CDN)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"rule": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def check(page, label: str, problems: dict) -> None:
    found = axe_violations(page)
    if found:
        problems[label] = found


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_serious_accessibility_violation_on_any_page_type(site, context_factory, lang):
    # axe is injected as a script: only this context lets it past the site's own Content-Security-Policy
    page = context_factory(bypass_csp=True, locale=lang, extra_http_headers={"Accept-Language": lang}).new_page()
    problems: dict = {}
    email = f"axe-{uuid.uuid4().hex[:10]}@example.org"
    for path, label in ((f"/{lang}/", "letter"), (f"/{lang}/signatories", "list"), (f"/{lang}/privacy", "privacy"),
                        (f"/{lang}/accessibility", "accessibility"), (f"/{lang}/sign", "sign form")):
        page.goto(site.url + path)
        check(page, label, problems)
    page.click("form.sign-form button[type=submit]")
    check(page, "sign form with errors", problems)
    page.check("#kind-0")
    page.fill("#organisation", "Axe Checkers")
    page.fill("#name", "Axe Person")
    page.select_option("#country", "EG")
    page.fill("#email", email)
    page.check("#consent_publish")
    page.click("form.sign-form button[type=submit]")
    page.wait_for_url("**/sign/check-your-inbox")
    check(page, "check your inbox", problems)
    message = site.mail_to(email)
    page.goto(site.link(message, "confirm"))
    check(page, "confirm", problems)
    page.click("main button[type=submit]")
    page.wait_for_url("**/sign/thank-you")
    check(page, "thank you", problems)
    page.goto(site.link(message, "manage"))
    check(page, "manage", problems)

    page.goto(f"{site.url}/admin/login")
    check(page, "admin login", problems)
    page.fill("#email", site.moderator_email)
    page.fill("#password", MODERATOR_PASSWORD)
    page.fill("#code", site.totp())
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/")
    check(page, "queue", problems)
    page.goto(f"{site.url}/admin/audit")
    check(page, "audit", problems)
    assert problems == {}


def test_signing_with_the_keyboard_alone(site, context_factory):
    page = context_factory().new_page()
    page.goto(f"{site.url}/en/sign")
    email = f"keys-{uuid.uuid4().hex[:10]}@example.org"

    def tab_to(element_id: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"no visible focus on #{element_id}"
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    tab_to("kind-0")
    page.keyboard.press("ArrowDown")  # radio groups move with the arrows; the choice follows
    assert page.is_checked("#kind-1")
    tab_to("organisation")
    page.keyboard.type("Keyboard University")
    tab_to("name")
    page.keyboard.type("Keyboard Person")
    tab_to("country")
    page.keyboard.type("Leban")
    assert page.input_value("#country") == "LB"
    tab_to("email")
    page.keyboard.type(email)
    tab_to("consent_publish")
    page.keyboard.press("Space")
    assert page.is_checked("#consent_publish")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/en/sign/check-your-inbox")
    assert site.mail_to(email)


def test_form_errors_are_announced_and_take_the_focus(site, context_factory):
    page = context_factory().new_page()
    page.goto(f"{site.url}/en/sign")
    page.fill("#email", "not an address")
    page.click("form.sign-form button[type=submit]")
    page.wait_for_load_state("load")
    # autofocus is applied when the browser next renders, not when the page is parsed
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('error-summary')",
                           timeout=5000)
    assert page.get_attribute(".error-summary", "role") == "alert"
    described = page.get_attribute("#email", "aria-describedby")
    assert "email-error" in described.split()
    assert page.get_attribute("#email", "aria-invalid") == "true"
    assert page.text_content("#email-error").strip()
