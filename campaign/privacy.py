"""Keeping the least data for the shortest time: the retention rules and the purge that applies them.

``purge`` is idempotent and safe to run from cron or a systemd timer: each rule deletes or blanks
only what is past its period, so running it twice in a row changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from .extensions import Base, db
from .models import (
    AdminSession,
    EmailSuppression,
    LoginThrottle,
    OutboxMessage,
    OutboxStatus,
    Signature,
    SignatureStatus,
    SignatureToken,
    utcnow,
)
from .moderation import audit

OUTBOX_ROW_DAYS = 30


@dataclass(frozen=True)
class RetentionPeriods:
    unverified_days: int
    rejected_days: int
    client_hash_days: int
    confirm_link_hours: int
    manage_link_days: int
    suppression_days: int

    @classmethod
    def from_config(cls) -> RetentionPeriods:
        config = current_app.config
        return cls(
            unverified_days=config["RETENTION_UNVERIFIED_DAYS"],
            rejected_days=config["RETENTION_REJECTED_DAYS"],
            client_hash_days=config["RETENTION_CLIENT_HASH_DAYS"],
            confirm_link_hours=config["CONFIRM_TOKEN_HOURS"],
            manage_link_days=config["MANAGE_TOKEN_DAYS"],
            suppression_days=config["SUPPRESSION_DAYS"],
        )


@dataclass
class PurgeReport:
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{what}: {count}" for what, count in self.counts.items()]


def _signature_ids(status: SignatureStatus, column: InstrumentedAttribute[dt.datetime | None], before: dt.datetime) -> list[int]:
    return list(db.session.scalars(select(Signature.id).where(Signature.status == status, column < before)))


def _delete_signatures(ids: list[int]) -> None:
    for identifier in ids:
        audit.redact_signature(identifier)
    if ids:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.signature_id.in_(ids),
                                                       OutboxMessage.status == OutboxStatus.PENDING))
        db.session.execute(delete(SignatureToken).where(SignatureToken.signature_id.in_(ids)))
        db.session.execute(delete(Signature).where(Signature.id.in_(ids)))


def _count(model: type[Base], *conditions: ColumnElement[bool]) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()


def purge(now: dt.datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Apply every retention rule once; with ``dry_run``, only count what would go."""
    now = now or utcnow()
    periods = RetentionPeriods.from_config()
    report = PurgeReport()

    unverified = _signature_ids(SignatureStatus.PENDING, Signature.created_at,
                                now - dt.timedelta(days=periods.unverified_days))
    rejected = _signature_ids(SignatureStatus.REJECTED, Signature.decided_at,
                              now - dt.timedelta(days=periods.rejected_days))
    report.counts["unverified signatures deleted"] = len(unverified)
    report.counts["rejected signatures deleted"] = len(rejected)

    hash_cutoff = now - dt.timedelta(days=periods.client_hash_days)
    hashes = (Signature.client_network_hash.is_not(None), Signature.created_at < hash_cutoff)
    report.counts["client network hashes erased"] = _count(Signature, *hashes)

    # A message no worker sent within its give-up period (no worker ran) is given up here.
    abandoned_before = now - dt.timedelta(hours=current_app.config["OUTBOX_GIVE_UP_HOURS"],
                                          seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    abandoned = (OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.created_at < abandoned_before)
    report.counts["unsent email given up"] = _count(OutboxMessage, *abandoned)
    bodies = (or_(OutboxMessage.status != OutboxStatus.PENDING, and_(*abandoned)),
              or_(OutboxMessage.recipient.is_not(None), OutboxMessage.recipient_box.is_not(None),
                  OutboxMessage.last_error.is_not(None)))
    report.counts["sent or failed email bodies and errors erased"] = _count(OutboxMessage, *bodies)
    old_outbox = (OutboxMessage.status != OutboxStatus.PENDING,
                  OutboxMessage.created_at < now - dt.timedelta(days=OUTBOX_ROW_DAYS))
    report.counts["old outbox records deleted"] = _count(OutboxMessage, *old_outbox)

    expired_tokens = (SignatureToken.expires_at < now,)
    report.counts["expired links deleted"] = _count(SignatureToken, *expired_tokens)
    expired_suppressions = (EmailSuppression.expires_at < now,)
    report.counts["expired suppressions deleted"] = _count(EmailSuppression, *expired_suppressions)
    session_cutoff = now - dt.timedelta(days=current_app.config["RETENTION_ADMIN_SESSION_DAYS"])
    old_sessions = (AdminSession.last_seen_at < session_cutoff,)
    report.counts["old admin sessions deleted"] = _count(AdminSession, *old_sessions)
    stale_throttles = (LoginThrottle.last_failure_at < now - dt.timedelta(days=1),)
    report.counts["stale login counters deleted"] = _count(LoginThrottle, *stale_throttles)

    if dry_run:
        db.session.rollback()
        return report
    _delete_signatures(unverified + rejected)
    db.session.execute(update(Signature).where(*hashes).values(client_network_hash=None))
    db.session.execute(update(OutboxMessage).where(*bodies).values(
        recipient=None, recipient_box=None, body_text=None, body_html=None, last_error=None))
    db.session.execute(update(OutboxMessage).where(*abandoned).values(status=OutboxStatus.FAILED))
    db.session.execute(delete(OutboxMessage).where(*old_outbox))
    db.session.execute(delete(SignatureToken).where(*expired_tokens))
    db.session.execute(delete(EmailSuppression).where(*expired_suppressions))
    db.session.execute(delete(AdminSession).where(*old_sessions))
    db.session.execute(delete(LoginThrottle).where(*stale_throttles))
    audit.record(None, "purge", "privacy.purged", "site", None, after=dict(report.counts))
    db.session.commit()
    return report
