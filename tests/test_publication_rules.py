"""Publication rules (issue 17): ``FLASK_AUTO_PUBLISH`` publishes confirmed entries with no warning
at once (individuals only, or all), recorded as decided by the rule; anything flagged waits."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from campaign.mail import delivery
from campaign.models import AuditEntry, Signature, SignatureStatus

from .factories import links_in, sign, signature_data
from .test_signing import csrf_of


def signed_and_confirmed(app, client, smtp, **overrides) -> Signature:
    from campaign.extensions import db

    email = overrides.get("email", signature_data()["email"])
    assert sign(client, **overrides).status_code == 303
    with app.app_context():
        delivery.deliver_due()
    message = [m for m in smtp.wait_for(1) if m.envelope_to == [email]][-1]
    confirm = links_in(message.text)["confirm"]
    assert client.post(confirm, data=csrf_of(client, confirm)).status_code == 303
    db.session.expire_all()
    return db.session.scalar(select(Signature).where(Signature.id == max(db.session.scalars(select(Signature.id)))))


@pytest.fixture
def rule(app):
    def set_rule(value: str) -> None:
        app.config["AUTO_PUBLISH"] = value
    return set_rule


def test_by_default_every_confirmed_entry_waits_for_a_person(app, client, db, smtp):
    signature = signed_and_confirmed(app, client, smtp, kind="individual", organisation=None, website=None)
    assert signature.status is SignatureStatus.VERIFIED


def test_individuals_rule_publishes_a_clean_individual_and_records_the_rule(app, client, db, smtp, rule):
    rule("individuals")
    signature = signed_and_confirmed(app, client, smtp, kind="individual", organisation=None, website=None)
    assert signature.status is SignatureStatus.PUBLISHED and signature.decided_by_id is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signature.approved"))
    assert entry.actor_label == "rule:individuals" and entry.actor_id is None and entry.target_id == signature.id
    listing = client.get("/en/signatories?kind=individual").get_data(as_text=True)
    assert "Amal Haddad" in listing


def test_individuals_rule_leaves_organisations_to_a_person(app, client, db, smtp, rule):
    rule("individuals")
    assert signed_and_confirmed(app, client, smtp).status is SignatureStatus.VERIFIED


@pytest.mark.parametrize("rule_name", ["individuals", "all-unflagged"])
def test_a_flagged_entry_always_waits(app, client, db, smtp, rule, rule_name):
    rule(rule_name)
    individual = {"kind": "individual", "organisation": None, "website": None}
    clean = signed_and_confirmed(app, client, smtp, email="clean@rights.example.org", **individual)
    assert clean.status is SignatureStatus.PUBLISHED, "the rule is on: a clean individual goes out at once"
    disposable = signed_and_confirmed(app, client, smtp, email="someone@mailinator.com", **individual)
    assert disposable.status is SignatureStatus.VERIFIED, "a disposable address is a warning"
    look_alike = signed_and_confirmed(app, client, smtp, email="look-alike@rights.example.org", name="Аmal Haddad",
                                      **individual)
    assert look_alike.status is SignatureStatus.VERIFIED, "a name mixing writing systems is a warning"
    # Under "individuals" an organisation waits whatever it holds; under "all-unflagged" only its warning holds it.
    mixed = signed_and_confirmed(app, client, smtp, email="mixed@rights.example.org", organisation="Аccess Now")
    assert mixed.status is SignatureStatus.VERIFIED, "an organisation name mixing writing systems is a warning"
    approved = db.session.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "signature.approved")).all()
    assert approved == [clean.id], "the rule approved the clean entry and nothing else"


def test_all_unflagged_rule_publishes_a_clean_organisation(app, client, db, smtp, rule):
    rule("all-unflagged")
    signature = signed_and_confirmed(app, client, smtp)
    assert signature.status is SignatureStatus.PUBLISHED
    assert re.search(r"Digital Rights Collective", client.get("/en/signatories").get_data(as_text=True))


def test_an_unknown_rule_is_refused_at_start():
    from campaign import create_app
    from campaign.config import ConfigError

    from .factories import TEST_CONFIG

    with pytest.raises(ConfigError, match="FLASK_AUTO_PUBLISH"):
        create_app({**TEST_CONFIG, "AUTO_PUBLISH": "everything"})
