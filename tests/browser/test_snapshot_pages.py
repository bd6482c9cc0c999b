"""Signed snapshots in a real browser: the snapshots page, and the signer's page offering their
proof as a download (the proof verifies), at 360 and 1280 px, in English and Arabic, clean under
axe; screenshots go to ``screenshots/``."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from ..factories import SHIPPED_LETTER
from ..test_verify_snapshot import PUBLIC_KEY, SEED, verifier
from .test_accessibility import axe_violations
from .test_signer_pages import fill_in, fits


@pytest.fixture(scope="module")
def signed_list(site, tmp_path_factory):
    """The site with a signing key and two snapshots of its list; both taken away afterwards."""
    from campaign import letters
    from campaign.extensions import db
    from campaign.models import Snapshot
    from campaign.publication import snapshots
    from campaign.web import caches

    key = tmp_path_factory.mktemp("keys") / "snapshot.key"
    key.write_text(base64.b64encode(SEED).decode())
    site.app.config["SNAPSHOT_SIGNING_KEY_FILE"] = str(key)
    with site.app.app_context():
        letter = letters.letter_by_slug(SHIPPED_LETTER)
        snapshots.publish(letter)
        snapshots.publish(letter)
        caches.clear()
    yield
    with site.app.app_context():
        db.session.execute(db.delete(Snapshot))
        db.session.commit()
        caches.clear()
    site.app.config["SNAPSHOT_SIGNING_KEY_FILE"] = None


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_snapshots_page_reads_well(site, context_factory, screenshots, signed_list, lang, width):
    page = context_factory(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()
    page.goto(f"{site.url}/{lang}/letters/{SHIPPED_LETTER}/snapshots")
    assert page.locator("li.snapshot").count() == 2
    assert PUBLIC_KEY in page.locator("main").inner_text()
    fits(page, width, "snapshots")
    assert axe_violations(page) == []
    for code in page.locator(".snapshot__codes code").all():
        box = code.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, "a root or signature runs off the screen"
    check = page.locator("#check")
    assert check.is_visible() and check.locator("a[download]").get_attribute("href") == "/verify_snapshot.py"
    for command in check.locator("pre").all():
        box = command.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, "a command runs off the screen"
    page.screenshot(path=str(screenshots / f"{lang}-snapshots-{width}.png"), full_page=True)
    page.goto(f"{site.url}/{lang}/letters/{SHIPPED_LETTER}/print")
    facts = page.locator(".pack__facts")
    assert page.locator(".pack__code").count() == 3 and page.locator(".pack__verify").is_visible()
    fits(page, width, "print page with the latest snapshot")
    assert axe_violations(page) == []
    facts.screenshot(path=str(screenshots / f"{lang}-print-snapshot-{width}.png"))


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_an_organisation_downloads_its_proof_from_its_page(site, context_factory, screenshots, signed_list, lang,
                                                            width, tmp_path):
    from campaign import letters
    from campaign.extensions import db
    from campaign.models import AdminUser, Signature
    from campaign.moderation import decisions
    from campaign.publication import snapshots
    from campaign.web import caches

    page = context_factory(bypass_csp=True, viewport={"width": width, "height": 800}, accept_downloads=True).new_page()
    email = f"proof-{uuid.uuid4().hex[:8]}@example.org"
    page.goto(f"{site.url}/{lang}/sign")
    fill_in(page, email)
    message = site.mail_to(email)
    page.goto(site.link(message, "confirm"))
    page.click("main form button[type=submit]")
    manage = site.link(message, "manage")
    page.goto(manage)
    assert page.locator("#proof-heading").count() == 0, "no proof before the entry is in a snapshot"
    with site.app.app_context():
        signature = db.session.scalars(db.select(Signature).order_by(Signature.id.desc())).first()
        moderator = db.session.scalars(db.select(AdminUser)).first()
        decisions.approve([signature.id], moderator)
        caches.clear()
    page.goto(manage)
    coming = page.locator("main section:has(#proof-heading)")
    assert coming.is_visible() and coming.locator("a[download]").count() == 0, "published: the proof comes next"
    with site.app.app_context():
        snapshots.publish(letters.letter_by_slug(SHIPPED_LETTER))
        caches.clear()
    page.goto(manage)
    section = page.locator("main section:has(#proof-heading)")
    assert section.is_visible()
    fits(page, width, "manage with its proof")
    assert axe_violations(page) == []
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"{lang}-manage-proof-{width}.png"), full_page=True)
    with page.expect_download() as download:
        section.locator("a[download]").first.click()
    saved = tmp_path / "proof.json"
    download.value.save_as(saved)
    proof = json.loads(saved.read_text(encoding="utf-8"))
    assert proof["entry"]["organisation"] == "Coalición Derechos Digitales"
    assert verifier.verify_proof(proof, verifier.load_key(PUBLIC_KEY)).startswith("verified")
