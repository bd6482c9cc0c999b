"""The whole list printed from a browser: Chromium's own PDF of the print page holds every name."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader


def test_chromium_prints_every_name_of_a_300_entry_list(site, context_factory):
    from ..factories import published

    with site.app.app_context():
        for number in range(150):
            published(organisation=f"Printed Group {number:03d}", country="DE")
            published(kind="individual", name=f"Printed Person {number:03d}", organisation=None, country="KE")
    page = context_factory().new_page()
    page.goto(f"{site.url}/en/print")
    assert page.locator("main form").count() == 0
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = " ".join(" ".join(sheet.extract_text().split()) for sheet in pdf.pages)
    missing = [f"Printed {kind} {number:03d}" for kind in ("Group", "Person") for number in range(150)
               if f"Printed {kind} {number:03d}" not in text]
    assert missing == []


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_print_page_fits_a_phone(site, context_factory, screenshots, lang):
    """Its table of countries was 14 px wider than a 360 px screen in English (a walk-through)."""
    from ..factories import published

    with site.app.app_context():
        for country in ("GS", "VC", "CF", "BA", "CD"):  # long country names
            published(organisation=f"Rights Group {country}", country=country)
    page = context_factory(viewport={"width": 360, "height": 800}).new_page()
    page.goto(f"{site.url}/{lang}/print")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the print page is {overflow}px wider than a 360px screen"
    page.screenshot(path=str(screenshots / f"{lang}-print-360.png"))
