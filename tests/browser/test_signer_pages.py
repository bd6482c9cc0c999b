"""The signer's own pages in a real browser, at phone and desktop widths, in English and Arabic:
"check your inbox" with its way back to correct a typo and to send the email again, and the
signer's page (summary, actions, then what is stored). axe-core checks each; screenshots go to
``screenshots/``."""

from __future__ import annotations

import uuid

import pytest

from .test_accessibility import axe_violations


def fill_in(page, email: str) -> None:
    page.check("#kind-0")
    page.fill("#organisation", "Coalición Derechos Digitales")
    page.fill("#name", "Amal Haddad")
    page.fill("#role", "Coordinator")
    page.select_option("#country", "LB")
    page.fill("#website", "rights.example.org")
    page.fill("#email", email)
    page.check("#consent_publish")
    page.click("form.sign-form button[type=submit]")
    page.wait_for_url("**/sign/check-your-inbox")


def fits(page, width: int, name: str) -> None:
    page.wait_for_load_state("load")  # measured before the style sheet applies, a page reads as too wide
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_check_your_inbox_lets_a_typo_be_corrected_and_the_email_sent_again(site, context_factory, screenshots,
                                                                           lang, width):
    page = context_factory(bypass_csp=True, viewport={"width": width, "height": 800}).new_page()
    typo = f"amal-{uuid.uuid4().hex[:8]}@example.ogr"
    page.goto(f"{site.url}/{lang}/sign")
    fill_in(page, typo)
    assert page.locator(".typed-address").inner_text().strip() == typo
    fits(page, width, "check your inbox")
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / f"{lang}-check-inbox-{width}.png"), full_page=True)

    page.click(".recover form:first-child button")
    assert page.input_value("#email") == typo and page.input_value("#organisation") == "Coalición Derechos Digitales"
    assert page.input_value("#website") == "https://rights.example.org"
    fits(page, width, "the form again")
    page.screenshot(path=str(screenshots / f"{lang}-sign-corrected-{width}.png"), full_page=True)
    corrected = typo.removesuffix(".ogr") + ".org"
    page.fill("#email", corrected)
    page.click("form.sign-form button[type=submit]")
    page.wait_for_url("**/sign/check-your-inbox")
    assert page.locator(".typed-address").inner_text().strip() == corrected
    first = site.mail_to(corrected)

    page.click(".recover form:last-child button")
    page.wait_for_url("**/sign/check-your-inbox?again=1")
    assert page.locator(".notice[role=status]").is_visible()
    assert page.locator(".typed-address").inner_text().strip() == corrected
    assert site.mail_to(corrected) is first, "no second email within the pause between two"
    fits(page, width, "sent again")
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / f"{lang}-check-inbox-again-{width}.png"), full_page=True)
    page.reload()
    assert page.locator(".typed-address").count() == 0, "the address is shown on that page only"


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_signers_page_puts_the_summary_and_actions_first(site, context_factory, screenshots, lang, width):
    page = context_factory(bypass_csp=True, viewport={"width": width, "height": 800}).new_page()
    email = f"manage-{uuid.uuid4().hex[:8]}@example.org"
    page.goto(f"{site.url}/{lang}/sign")
    fill_in(page, email)
    page.goto(site.link(site.mail_to(email), "manage"))
    summary = page.locator("main .manage-summary")
    actions = page.locator("main #correct-heading")
    stored = page.locator("main #held-heading")
    assert summary.is_visible() and actions.is_visible()
    assert summary.bounding_box()["y"] < actions.bounding_box()["y"] < stored.bounding_box()["y"]
    technical = page.locator("main details.technical")
    assert technical.count() == 1 and technical.get_attribute("open") is None, "technical details folded away"
    fits(page, width, "manage")
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / f"{lang}-manage-{width}.png"), full_page=True)
    technical.locator("summary").click()
    fits(page, width, "manage, technical details open")
    page.screenshot(path=str(screenshots / f"{lang}-manage-technical-{width}.png"), full_page=True)
