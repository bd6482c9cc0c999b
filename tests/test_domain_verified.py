"""Organisations verified by their own domain: computed at confirmation from the address's domain
and the website (never a network look-up), evaluated again when the website is corrected."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from campaign.models import Signature
from campaign.moderation import decisions as moderation
from campaign.signing.domains import address_on_website

from .factories import make_admin, make_signature
from .test_migrations import empty_database_url  # noqa: F401  (a fixture)
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


def test_an_organisation_confirming_from_a_subdomain_of_its_site_is_verified(app, client, db, smtp, manage_link):  # noqa: F811
    _, signature = confirmed(app, client, db, smtp, manage_link, email="press@sub.example.org",
                             website="https://example.org")
    assert signature.domain_verified is True


def test_an_organisation_confirming_from_webmail_is_not(app, client, db, smtp, manage_link):  # noqa: F811
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


def test_a_correction_by_the_signer_before_publication_evaluates_the_mark_again(app, client, db, smtp, manage_link):  # noqa: F811
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


def test_a_published_correction_changes_the_mark_only_once_approved(app, client, db, smtp, manage_link):  # noqa: F811
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


LIST = "/en/letters/ban-biometric-surveillance/signatories"
API = "/api/v1/letters/ban-biometric-surveillance/signatories"


@pytest.fixture
def two_organisations(db):
    from .factories import published

    published(organisation="Own Domain Collective", email="press@sub.example.org", website="https://example.org")
    published(organisation="Webmail Collective", email="webmail.collective@gmail.com", website="https://example.net")
    published(kind="individual", name="Named Person", email="person@example.org")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_list_shows_the_badge_with_its_explanation_and_filters_on_it(app, client, db, two_organisations, lang):
    from .factories import translated

    path = LIST.replace("/en/", f"/{lang}/")
    html = client.get(path).get_data(as_text=True)
    badge = translated(app, lang, "Verified domain")
    entries = re.findall(r'<li class="signatory">(.*?)</li>', html, re.S)
    own = next(entry for entry in entries if "Own Domain Collective" in entry)
    other = next(entry for entry in entries if "Webmail Collective" in entry)
    assert f'href="/{lang}/letters/ban-biometric-surveillance/signatories#domain-verified">{badge}</a>' in own
    assert badge not in other
    assert 'id="domain-verified"' in html
    assert 'name="verified" value="1"' in html
    only = client.get(path + "?verified=1").get_data(as_text=True)
    assert "Own Domain Collective" in only and "Webmail Collective" not in only and "Named Person" not in only
    assert 'name="verified" value="1" checked' in only


def test_the_api_and_the_csv_carry_the_field_and_the_api_filters(app, client, db, two_organisations):
    entries = {entry["organisation"]: entry["verified"] for entry in client.get(API).json["data"]}
    assert entries == {"Own Domain Collective": True, "Webmail Collective": False}
    assert [entry["organisation"] for entry in client.get(API + "?verified=1").json["data"]] == ["Own Domain Collective"]
    assert client.get(API + "?verified=yes").status_code == 400
    people = client.get(API + "?kind=individual").json["data"]
    assert [entry["verified"] for entry in people] == [False]
    rows = list(csv.DictReader(io.StringIO(client.get(LIST + ".csv").get_data(as_text=True))))
    assert {row["organisation"] or row["name"]: row["verified"] for row in rows} == {
        "Own Domain Collective": "yes", "Webmail Collective": "no", "Named Person": "no"}
    only = list(csv.DictReader(io.StringIO(client.get(LIST + ".csv?verified=1").get_data(as_text=True))))
    assert [row["organisation"] for row in only] == ["Own Domain Collective"]


def test_the_pack_carries_the_mark_in_its_csv_and_its_pages(app, client, db, two_organisations, tmp_path):
    from .test_delivery_pack import make_pack

    files, _ = make_pack(app, tmp_path, "en")
    rows = list(csv.DictReader(io.StringIO(files[".csv"].read_text(encoding="utf-8-sig"))))
    assert {row["organisation"] or row["name"]: row["verified"] for row in rows} == {
        "Own Domain Collective": "yes", "Webmail Collective": "no", "Named Person": "no"}
    printed = client.get("/en/letters/ban-biometric-surveillance/print").get_data(as_text=True)
    own = re.search(r'<li class="signatory">[^\n]*Own Domain Collective[^\n]*</li>', printed).group(0)
    other = re.search(r'<li class="signatory">[^\n]*Webmail Collective[^\n]*</li>', printed).group(0)
    assert '<span class="signatory__verified">Verified domain</span>' in own and "Verified domain" not in other
    assert "<strong>Verified domain:</strong> the organisation confirmed its signature" in printed  # explained


def test_the_queue_filters_on_the_mark(app, client, db):
    from .factories import log_in

    make_signature(organisation="Own Domain Collective", email="press@example.org", website="https://example.org")
    make_signature(organisation="Webmail Collective", email="collective@outlook.com", website="https://example.net")
    assert log_in(client, make_admin("queue@campaign.example")).status_code == 302
    everyone = client.get("/admin/").get_data(as_text=True)
    assert "Own Domain Collective" in everyone and "Webmail Collective" in everyone
    only = client.get("/admin/?verified=1").get_data(as_text=True)
    assert "Own Domain Collective" in only and "Webmail Collective" not in only
    assert 'name="verified" value="1" checked' in only


def test_an_imported_organisation_is_never_marked_it_confirmed_nothing(app, db, tmp_path):
    path = tmp_path / "endorsers.csv"
    path.write_text("kind,name,organisation,role,country,city,website,email,comment,consent_publish,consent_updates,"
                    "drafter\norganisation,,Imported Collective,,GB,,https://example.org,press@example.org,,yes,,\n",
                    encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["signatures", "import", str(path)])
    assert result.exit_code == 0, result.output
    signature = db.session.scalar(select(Signature).where(Signature.organisation == "Imported Collective"))
    assert signature.source.startswith("import:") and signature.domain_verified is False
    moderation.edit(signature.id, make_admin(), {"website": "https://www.example.org"})
    db.session.expire_all()
    assert db.session.get(Signature, signature.id).domain_verified is False


def test_the_migration_marks_the_organisations_confirmed_before_it_by_the_same_rule(empty_database_url):  # noqa: F811
    from flask_migrate import upgrade
    from sqlalchemy import text

    from campaign import create_app
    from campaign.extensions import db as database

    from .factories import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    rows = [(1, "verified", "form", "sub.example.org", "https://example.org"),  # marked
            (2, "published", "form", "gmail.com", "https://example.org"),
            (3, "published", "import:endorsers.csv:2", "example.org", "https://example.org"),
            (4, "pending", "form", "example.org", "https://example.org"),
            (5, "published", "form", "example.org.evil.com", "https://example.org")]
    with app.app_context():
        upgrade(revision="0011_pack_builds")
        with database.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO letters (id, slug, original_language, published_on, contact, drafted_by, created_at, "
                "updated_at) VALUES (1, 'l', 'en', '2026-01-01', 'c@example.org', '[]', '2026-01-01', '2026-01-01')"))
            for identifier, status, source, domain, website in rows:
                connection.execute(text(
                    "INSERT INTO signatures (id, letter_id, kind, status, organisation, country, email_hash, "
                    "email_domain, website, language, letter_version, consent_publish, consent_updates, is_drafter, "
                    "source, created_at, updated_at, search_text) VALUES (:id, 1, 'organisation', :status, 'Org', "
                    "'BR', :hash, :domain, :website, 'en', 'v', true, false, false, :source, '2026-01-01', "
                    "'2026-01-01', 'org')"),
                    {"id": identifier, "status": status, "hash": f"h{identifier}", "domain": domain,
                     "website": website, "source": source})
        upgrade()
        with database.engine.connect() as connection:
            marked = connection.execute(text("SELECT id FROM signatures WHERE domain_verified ORDER BY id")).scalars()
            marked = list(marked)
        database.engine.dispose()
    assert marked == [1]
