"""Organisations verified by their own domain: computed at confirmation from the address's domain
and the website (never a network look-up), evaluated again when the website is corrected."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaign.models import Signature
from campaign.moderation import decisions as moderation
from campaign.signing.domains import address_on_website

from .factories import make_admin, make_signature
from .test_self_service import manage_link, publish_all  # noqa: F401  (a fixture)
from .test_signing import csrf_of


@pytest.mark.parametrize(("domain", "website", "verified"), [
    ("sub.example.org", "https://example.org", True),  # the case: a subdomain of the site
    ("example.org", "https://www.example.org/about", True),
    ("EXAMPLE.org", "http://Example.ORG.", True),
    ("gmail.com", "https://example.org", False),  # the other case: webmail
    ("notexample.org", "https://example.org", False),  # a look-alike ending
    ("example.org.evil.com", "https://example.org", False),  # the site's name at the start of another
    ("example.org", "https://example.org.evil.com", False),
    ("example.org", "https://sub.example.org", False),  # the address must be at or under the site
    ("bücher.de", "https://xn--bcher-kva.de", True),  # IDNA: one host, two spellings
    ("xn--bcher-kva.de", "https://bücher.de/", True),
    ("example.org", "https://exаmple.org", False),  # a Cyrillic "а": another host
    ("gmail.com", "https://gmail.com", False),  # shared hosts never verify
    ("someone.github.io", "https://someone.github.io", False),
    ("outlook.com", "https://www.outlook.com", False),
    (None, "https://example.org", False),  # imported without an address
    ("example.org", None, False),
    ("example.org", "not a website", False),
    ("localhost", "http://localhost", False),
])
def test_the_rule(domain, website, verified):
    assert address_on_website(domain, website) is verified


def confirmed(app, client, db, smtp, manage_link, **overrides) -> tuple[str, Signature]:  # noqa: F811
    link = manage_link(**overrides)
    return link, db.session.scalar(select(Signature))


def test_an_organisation_confirming_from_a_subdomain_of_its_site_is_verified(app, client, db, smtp, manage_link):
    _, signature = confirmed(app, client, db, smtp, manage_link, email="press@sub.example.org",
                             website="https://example.org")
    assert signature.domain_verified is True


def test_an_organisation_confirming_from_webmail_is_not(app, client, db, smtp, manage_link):
    _, signature = confirmed(app, client, db, smtp, manage_link, email="collective@gmail.com",
                             website="https://example.org")
    assert signature.domain_verified is False


def test_no_mark_before_confirmation_and_none_for_individuals(app, client, db):
    pending = make_signature(status="pending", email="press@example.org", website="https://example.org")
    person = make_signature(status="verified", kind="individual", email="amal@example.org",
                            website="https://example.org")
    assert pending.domain_verified is False and person.domain_verified is False
    assert make_signature(status="verified", email="info@example.net",
                          website="https://example.net").domain_verified is True


def test_a_correction_by_the_signer_before_publication_evaluates_the_mark_again(app, client, db, smtp, manage_link):
    link, signature = confirmed(app, client, db, smtp, manage_link, email="press@example.org",
                                website="https://example.org")
    assert signature.domain_verified is True
    form = {"csrf_token": csrf_of(client, link)["csrf_token"], "organisation": "Digital Rights Collective",
            "name": "Amal Haddad", "role": "Director", "country": "LB", "website": "https://other.example.net"}
    assert client.post(link, data=form).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Signature)).domain_verified is False
    assert client.post(link, data={**form, "website": "https://www.example.org"}).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Signature)).domain_verified is True


def test_a_published_correction_changes_the_mark_only_once_approved(app, client, db, smtp, manage_link):
    link, _ = confirmed(app, client, db, smtp, manage_link, email="press@example.org", website="https://example.org")
    publish_all(db)
    form = {"csrf_token": csrf_of(client, link)["csrf_token"], "organisation": "Digital Rights Collective",
            "name": "Amal Haddad", "role": "Director", "country": "LB", "website": "https://elsewhere.example.com"}
    assert client.post(link, data=form).status_code == 303
    db.session.expire_all()
    signature = db.session.scalar(select(Signature))
    assert signature.correction and signature.domain_verified is True, "the list shows what it showed"
    moderation.approve([signature.id], make_admin("second@campaign.example"))
    db.session.expire_all()
    assert db.session.scalar(select(Signature)).domain_verified is False


def test_a_moderators_edit_of_the_website_evaluates_the_mark_again(app, client, db):
    signature = make_signature(status="verified", email="info@example.org", website="https://example.org.evil.com")
    assert signature.domain_verified is False
    moderation.edit(signature.id, make_admin(), {"website": "https://example.org"})
    db.session.expire_all()
    assert db.session.get(Signature, signature.id).domain_verified is True
