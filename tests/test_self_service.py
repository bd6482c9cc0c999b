"""A signer's own page: see, download, correct (back to moderation), named or counted, withdraw."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from campaign.models import AuditEntry, PublishedTally, Signature, SignatureStatus

from .factories import LTR_AND_RTL, links_in, make_admin, sign, translated
from .test_signing import csrf_of, deliver


@pytest.fixture
def manage_link(app, client, db, smtp):
    def make(lang="en", **overrides):
        sign(client, lang, **overrides)
        deliver(app)
        links = links_in(smtp.wait_for(1)[-1].text)
        client.post(links["confirm"], data=csrf_of(client, links["confirm"]))
        manage = re.search(r"https://campaign\.example(/\w+/sign/manage/[\w-]+)", smtp.messages[-1].text).group(1)
        return manage
    return make


def publish_all(db):
    from campaign.moderation import decisions as moderation

    moderation.approve(db.session.scalars(select(Signature.id)).all(), make_admin("mod@campaign.example"))


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_see_everything_held_and_download_it(app, client, db, manage_link, lang):
    link = manage_link(lang, comment="Our comment")
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert translated(app, lang, "What we hold about you") in html
    for value in ("Digital Rights Collective", "Amal Haddad", "Our comment", "rights.example.org"):
        assert value in html
    data = client.get(link + "/data.json")
    assert data.headers["Content-Disposition"] == 'attachment; filename="my-signature.json"'
    body = json.loads(data.get_data(as_text=True))
    assert body["organisation"] == "Digital Rights Collective" and body["email_domain"] == "rights.example.org"
    assert body["status"] == "verified" and body["language"] == lang
    assert "amal@" not in data.get_data(as_text=True)


def test_corrections_of_a_published_entry_wait_for_moderation_and_keep_it_listed(app, client, db, manage_link):
    link = manage_link()
    publish_all(db)
    assert db.session.scalar(select(func.sum(PublishedTally.count))) == 1
    form = {"csrf_token": csrf_of(client, link)["csrf_token"], "organisation": "Digital Rights Collective e.V.",
            "name": "Amal Haddad", "role": "Director", "country": "DE", "city": "Berlin",
            "website": "https://rights.example.org"}
    response = client.post(link, data=form)
    assert response.status_code == 303 and "saved=review" in response.headers["Location"]
    signature = db.session.scalar(select(Signature))
    assert signature.status is SignatureStatus.PUBLISHED and signature.organisation == "Digital Rights Collective"
    assert signature.correction == {"organisation": "Digital Rights Collective e.V.", "country": "DE",
                                    "city": "Berlin"}
    assert db.session.scalar(select(func.sum(PublishedTally.count))) == 1, "still counted, as it was"


def test_corrections_before_publication_apply_at_once(app, client, db, manage_link):
    link = manage_link()
    form = {"csrf_token": csrf_of(client, link)["csrf_token"], "organisation": "Digital Rights Collective e.V.",
            "name": "Amal Haddad", "role": "Director", "country": "LB", "website": "https://rights.example.org"}
    assert client.post(link, data=form).status_code == 303
    signature = db.session.scalar(select(Signature))
    assert signature.organisation == "Digital Rights Collective e.V." and signature.correction is None


def test_switch_between_named_and_counted_only(app, client, db, manage_link):
    link = manage_link(kind="individual", organisation=None, website=None)
    publish_all(db)
    naming = link + "/naming"
    client.post(naming, data=csrf_of(client, link))
    assert db.session.scalar(select(Signature.consent_publish)) is False
    counts = dict(db.session.execute(select(PublishedTally.kind, PublishedTally.count)).all())
    assert counts == {"individual": 0, "individual_unnamed": 1}
    assert "Amal Haddad" not in client.get("/en/signatories").get_data(as_text=True)
    client.post(naming, data=csrf_of(client, link))
    assert db.session.scalar(select(Signature.consent_publish)) is True
    assert "Amal Haddad" in client.get("/en/signatories").get_data(as_text=True)


def test_organisations_stay_named(app, client, db, manage_link):
    link = manage_link()
    client.post(link + "/naming", data=csrf_of(client, link))
    assert db.session.scalar(select(Signature.consent_publish)) is True


def test_news_opt_in_can_be_switched_and_each_switch_is_in_the_audit_trail(app, client, db, manage_link):
    link = manage_link()
    client.post(link + "/news", data=csrf_of(client, link))
    assert db.session.scalar(select(Signature.consent_updates)) is True
    client.post(link + "/news", data=csrf_of(client, link))
    assert db.session.scalar(select(Signature.consent_updates)) is False
    switches = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "signature.news_changed_by_signer")
                                  .order_by(AuditEntry.id)).all()
    assert [(entry.actor_label, entry.after) for entry in switches] == [
        ("signer", {"consent_updates": True}), ("signer", {"consent_updates": False})]


def test_withdraw_from_the_manage_page(app, client, db, manage_link):
    link = manage_link()
    page = client.get(link).get_data(as_text=True)
    assert f'href="{link}/withdraw"' in page and f'action="{link}/withdraw"' not in page, "no one-click withdrawal"
    asked = client.get(link + "/withdraw")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Withdraw my signature" in html and f'href="{link}"' in html
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1, "opening the page changes nothing"
    response = client.post(link + "/withdraw", data=csrf_of(client, link + "/withdraw"))
    assert response.status_code == 303 and response.headers["Location"] == "/en/sign/withdrawn"
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    assert client.get(link).status_code == 404


def test_manage_link_is_its_own_purpose(app, client, db, manage_link, smtp):
    link = manage_link()
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/en/sign/withdraw/{token}").status_code == 404
    assert client.get(f"/en/sign/confirm/{token}").status_code == 404
