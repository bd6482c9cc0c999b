"""A letter's versions in a browser (issue 20): the history page and the letter page's "Updated on"
line and out-of-date notice, at 360 and 1280 px, in English and Arabic, clean under axe."""

from __future__ import annotations

import pytest

from ..factories import PROJECT_ROOT, SHIPPED_LETTER
from .test_accessibility import axe_violations

SLUG = "a-changed-letter"


@pytest.fixture(scope="module")
def changed_letter(site, tmp_path_factory):
    """The shipped letter's English and Arabic under another slug (published earlier, so the featured
    letter stays), changed twice in English and once in Arabic: the Arabic is one change behind.
    Removed afterwards, so the other pages of the session's site are as they were."""
    from campaign import letters
    from campaign.extensions import db
    from campaign.models import LetterText
    from campaign.web import caches

    folder = tmp_path_factory.mktemp("letters") / SLUG
    folder.mkdir()
    for code in ("en", "ar"):
        text = (PROJECT_ROOT / "letters" / SHIPPED_LETTER / f"{code}.md").read_text(encoding="utf-8")
        text = text.replace(f"slug: {SHIPPED_LETTER}", f"slug: {SLUG}").replace("published: 2021-06-07", "published: 2020-01-01")
        (folder / f"{code}.md").write_text(text, encoding="utf-8")

    def change(code: str, old: str, new: str) -> None:
        path = folder / f"{code}.md"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    with site.app.app_context():
        letters.load_letters(folder.parent, site.app.config["LANGUAGES"], list_drafters=False)
        change("en", "call for an outright ban", "call for a complete and permanent ban")
        change("en", "## The scope of our call", "We ask every government to act now.\n\n## The scope of our call")
        change("ar", "ندعو إلى حظرٍ تام", "ندعو إلى حظرٍ كامل ودائم")
        letters.load_letters(folder.parent, site.app.config["LANGUAGES"], list_drafters=False)
        change("en", "The potential for abuse is too great", "The potential for abuse is far too great")
        letters.load_letters(folder.parent, site.app.config["LANGUAGES"], list_drafters=False)
    yield SLUG
    with site.app.app_context():
        letter = letters.letter_by_slug(SLUG)
        db.session.execute(db.delete(LetterText).where(LetterText.letter_id == letter.id))
        db.session.delete(letter)
        db.session.commit()
        caches.clear()


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_versions_page_reads_well(site, context_factory, screenshots, changed_letter, lang, width):
    page = context_factory(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()
    for name, path in (("versions", f"/{lang}/letters/{changed_letter}/versions"),
                       ("letter-updated", f"/{lang}/letters/{changed_letter}")):
        page.goto(site.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        assert axe_violations(page) == []
        page.screenshot(path=str(screenshots / f"{lang}-{name}-{width}.png"), full_page=True)

    page.goto(f"{site.url}/{lang}/letters/{changed_letter}/versions")
    assert page.locator("li.version").count() == (3 if lang == "en" else 2)
    # the changes are told apart without colour: underlined, struck through
    assert "underline" in page.evaluate("getComputedStyle(document.querySelector('.diff ins')).textDecorationLine")
    assert "line-through" in page.evaluate("getComputedStyle(document.querySelector('.diff del')).textDecorationLine")
    assert page.evaluate("getComputedStyle(document.querySelector('.diff p')).direction") == \
        ("rtl" if lang == "ar" else "ltr")
    assert page.locator(".notice--out-of-date").count() == (1 if lang == "ar" else 0)
    hash_box = page.locator(".version__hash code").first.bounding_box()
    assert hash_box["x"] >= 0 and hash_box["x"] + hash_box["width"] <= width  # the whole hash, on screen

    page.goto(f"{site.url}/{lang}/letters/{changed_letter}")
    page.click(".letter__updated a")
    page.wait_for_url(f"**/{lang}/letters/{changed_letter}/versions#v-*")
    assert page.evaluate("location.hash") == "#" + page.locator("li.version").first.get_attribute("id")
