"""Retention: the purge removes exactly what its rules say (with a moved clock), and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from campaign import privacy
from campaign.models import (
    AdminSession,
    AuditEntry,
    EmailSuppression,
    OutboxMessage,
    OutboxStatus,
    Signature,
    SignatureStatus,
    SignatureToken,
    utcnow,
)
from campaign.moderation import decisions as moderation

from .factories import LTR_AND_RTL, make_admin, make_signature, published, translated

DAY = dt.timedelta(days=1)


def ids(db, status: str) -> set[int]:
    return set(db.session.scalars(select(Signature.id).where(Signature.status == SignatureStatus(status))))


def test_purge_applies_each_rule_at_its_period(app, db):
    moderator = make_admin()
    pending = make_signature(status="pending", organisation="Never Confirmed")
    verified = make_signature(status="verified", organisation="Awaiting Review", client_network_hash="h" * 64)
    rejected = make_signature(status="verified", organisation="Rejected")
    moderation.reject([rejected.id], moderator, "spam")
    kept = published(organisation="Published", client_network_hash="k" * 64)
    now = utcnow()

    report = privacy.purge(now=now + 6 * DAY)
    assert report.counts["unverified signatures deleted"] == 0
    assert pending.id in ids(db, "pending")

    privacy.purge(now=now + 7 * DAY + dt.timedelta(minutes=1))
    assert ids(db, "pending") == set() and rejected.id in ids(db, "rejected")
    assert db.session.get(Signature, verified.id).client_network_hash == "h" * 64

    report = privacy.purge(now=now + 30 * DAY + dt.timedelta(minutes=1))
    assert report.counts["rejected signatures deleted"] == 1
    assert report.counts["client network hashes erased"] == 2
    assert ids(db, "rejected") == set()
    db.session.expire_all()
    assert db.session.get(Signature, verified.id).client_network_hash is None
    assert db.session.get(Signature, verified.id).status is SignatureStatus.VERIFIED
    assert db.session.get(Signature, kept.id).status is SignatureStatus.PUBLISHED
    rejected_audit = db.session.scalars(select(AuditEntry).where(AuditEntry.target_id == rejected.id)).all()
    assert rejected_audit and all(e.note in (None, "[withdrawn]") for e in rejected_audit)


def test_purge_is_idempotent(app, db):
    make_signature(status="pending")
    later = utcnow() + 40 * DAY
    first = privacy.purge(now=later)
    second = privacy.purge(now=later)
    assert first.counts["unverified signatures deleted"] == 1
    assert all(count == 0 for count in second.counts.values())


def test_dry_run_changes_nothing(app, db):
    make_signature(status="pending")
    report = privacy.purge(now=utcnow() + 40 * DAY, dry_run=True)
    assert report.counts["unverified signatures deleted"] == 1
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1


def test_purge_erases_mail_bodies_and_expired_links_but_keeps_audit(app, db, client, smtp):
    from campaign.mail import delivery

    from .factories import sign

    sign(client)
    with app.app_context():
        delivery.deliver_due()
    message = db.session.scalar(select(OutboxMessage))
    message.recipient, message.body_text = "left@example.org", "left behind"
    db.session.add(EmailSuppression(email_hash="x" * 64, expires_at=utcnow() - DAY))
    db.session.commit()
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    report = privacy.purge(now=utcnow() + 31 * DAY)
    db.session.expire_all()
    message = db.session.scalar(select(OutboxMessage))
    assert message is None or (message.recipient is None and message.body_text is None)
    assert report.counts["expired links deleted"] >= 1
    assert db.session.scalar(select(func.count()).select_from(EmailSuppression)) == 0
    assert db.session.scalar(select(func.count()).select_from(SignatureToken)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before + 1


def test_pending_mail_of_a_purged_signature_is_dropped(app, db):
    signature = make_signature(status="pending")
    db.session.add(OutboxMessage(kind="verification", signature_id=signature.id, recipient="a@example.org",
                                 subject="s", body_text="b", message_id="<m1@campaign.example>",
                                 status=OutboxStatus.PENDING))
    db.session.commit()
    privacy.purge(now=utcnow() + 8 * DAY)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_old_admin_sessions_are_deleted(app, db, client):
    from .factories import log_in

    log_in(client, make_admin())
    privacy.purge(now=utcnow() + 31 * DAY)
    assert db.session.scalar(select(func.count()).select_from(AdminSession)) == 0


def test_purge_command_and_dry_run_flag(app, db):
    make_signature(status="pending")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "would remove:" in dry.output and "unverified signatures deleted: 0" in dry.output
    real = runner.invoke(args=["privacy", "purge"])
    assert real.exit_code == 0 and "removed:" in real.output


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_privacy_page_shows_the_live_retention_periods(app, client, lang):
    app.config["RETENTION_UNVERIFIED_DAYS"] = 9
    app.config["RETENTION_REJECTED_DAYS"] = 45
    html = client.get(f"/{lang}/privacy").get_data(as_text=True)
    from .factories import translated_plural

    expected = translated_plural(app, lang, "Signatures never confirmed by email are deleted after %(num)s day.",
                                 "Signatures never confirmed by email are deleted after %(num)s days.", 9)
    assert expected in html
    assert translated_plural(app, lang, "Signatures the moderators reject are deleted after %(num)s day.",
                             "Signatures the moderators reject are deleted after %(num)s days.", 45) in html
    assert "mailto:banBS@accessnow.org" in html
    assert translated(app, lang, "Privacy") in html


def test_privacy_contact_can_be_configured(app, client):
    app.config["PRIVACY_CONTACT"] = "privacy@campaign.example"
    assert "mailto:privacy@campaign.example" in client.get("/en/privacy").get_data(as_text=True)


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_accessibility_statement(app, client, lang):
    response = client.get(f"/{lang}/accessibility")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert translated(app, lang, "Accessibility") in response.get_data(as_text=True)
