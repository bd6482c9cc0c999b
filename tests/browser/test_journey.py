"""The whole journey as a person makes it: letter → language → sign → email → confirm → moderation →
list → withdraw → gone. In English, Spanish and Arabic, and once with JavaScript disabled."""

from __future__ import annotations

import uuid

import pytest

NAMES = {"en": "Journey Person", "es": "Persona Recorrido", "ar": "سلمى الخوري"}


def sign_as_a_person(page, site, lang: str, name: str, email: str) -> None:
    page.goto(f"{site.url}/en/")
    if lang != "en":
        page.click(f"nav.language-switch a[hreflang='{lang}']")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    page.locator("main a.button").first.click()
    page.wait_for_url(f"**/{lang}/sign")
    page.check("#kind-1")
    page.fill("#name", name)
    page.fill("#organisation", "Independent")
    page.select_option("#country", "LB")
    page.fill("#email", email)
    page.check("#consent_publish")
    page.click("form.sign-form button[type=submit]")
    page.wait_for_url(f"**/{lang}/sign/check-your-inbox")


def approve_as_moderator(context_factory, site, name: str) -> None:
    page = context_factory().new_page()
    page.goto(f"{site.url}/admin/login")
    page.fill("#email", site.moderator_email)
    page.fill("#password", "a long moderator passphrase")
    page.fill("#code", site.totp())
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/")
    entry = page.locator("li.queue__entry", has_text=name)
    with page.expect_navigation():
        entry.locator(".entry-decision button[form^=approve]").click()  # the entry's own Approve
    assert page.locator("li.queue__entry", has_text=name).count() == 0
    page.context.close()


@pytest.mark.parametrize("lang, javascript", [("en", True), ("es", True), ("ar", True), ("en", False)],
                         ids=["en", "es", "ar", "en-no-javascript"])
def test_the_whole_journey(site, context_factory, lang, javascript):
    name = f"{NAMES[lang]} {uuid.uuid4().hex[:6]}"
    email = f"journey-{uuid.uuid4().hex[:10]}@example.org"
    page = context_factory(java_script_enabled=javascript, locale=lang).new_page()

    sign_as_a_person(page, site, lang, name, email)
    message = site.mail_to(email)
    assert f"/{lang}/sign/confirm/" in message.text

    page.goto(site.link(message, "confirm"))
    assert page.locator("main button[type=submit]").count() == 1
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/{lang}/sign/thank-you")

    approve_as_moderator(context_factory, site, name)

    page.goto(f"{site.url}/{lang}/signatories?kind=individual&q={name.split()[-1]}")
    assert page.locator(".signatory__name", has_text=name).count() == 1

    page.goto(site.link(message, "withdraw"))
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/{lang}/sign/withdrawn")
    page.goto(f"{site.url}/{lang}/signatories?kind=individual&q={name.split()[-1]}")
    page.reload()  # the list may be cached for a minute; reloading revalidates it, as a person would
    assert page.locator(".signatory__name", has_text=name).count() == 0
