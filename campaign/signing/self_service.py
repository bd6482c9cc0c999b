"""What a signer can do from the link in their emails: see, take, correct, switch, withdraw."""

from __future__ import annotations

import base64
import datetime as dt
import enum

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry, Letter, Signature, SignatureKind, SignatureStatus, TokenPurpose, utcnow
from ..moderation import audit
from ..publication import counts
from . import rows, rules
from .fields import FIELD_NAMES, RECORD_COLUMNS, corrections
from .tokens import find_token


class SelfServiceError(Exception):
    """A change that does not apply to this signature (e.g. an organisation cannot be unnamed)."""


def correction_set_aside(signature: Signature) -> str | None:
    """The moderators' reason, when they set aside the signer's last correction and none waits now.

    Told on the signer's own page rather than by email: a correction comes through the manage link,
    never with the address, so there is no address to write to (and none is kept for it)."""
    if signature.correction_at is not None:
        return None
    last = db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == "signature", AuditEntry.target_id == signature.id,
        AuditEntry.action.in_(["signature.correction_submitted", "signature.correction_approved",
                               "signature.correction_rejected"])).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is None or last.action != "signature.correction_rejected":
        return None
    return last.note or ""


def signature_for(token: str) -> Signature:
    """The signature behind a manage link; raises ``TokenInvalid`` or ``TokenExpired``."""
    return find_token(token, TokenPurpose.MANAGE).signature


def _signature_to_change(token: str) -> Signature:
    """The signature behind a manage link, locked for a change (see ``rules.locked_signature``)."""
    return rules.locked_signature(find_token(token, TokenPurpose.MANAGE))


def personal_data(signature: Signature) -> dict:
    """Everything stored about the signer, as stored: every field they gave and every column we
    recorded about their signature (the address only as the server holds it: its keyed hash, its
    domain and the sealed box, base64, that only the offline key opens)."""
    letter = db.session.get(Letter, signature.letter_id)
    data: dict[str, object] = {"letter": letter.slug if letter else None}
    for name in (*FIELD_NAMES, *RECORD_COLUMNS):
        data[name] = _plain(getattr(signature, name))
    return data


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def update_details(token: str, changes: dict[str, str | None]) -> bool:
    """Correct the details. A published entry stays on the list as it is, and the correction waits
    for a moderator (a later correction replaces a waiting one); an entry not yet published takes
    it at once and is reviewed as it now reads (a hidden one goes back to review). Returns whether
    anything changed."""
    signature = _signature_to_change(token)
    changed = corrections(signature, changes)
    if signature.status is SignatureStatus.PUBLISHED:
        waiting = signature.correction or {}
        proposed = {name: new for name, (_, new) in changed.items()}
        if proposed == waiting:
            return False
        signature.correction = proposed or None
        signature.correction_at = utcnow() if proposed else None
        audit.record(None, "signer", "signature.correction_submitted", "signature", signature.id,
                     before={name: old for name, (old, _) in changed.items()}, after=proposed)
        db.session.commit()
        return bool(proposed)
    if not changed:
        return False
    if signature.status is SignatureStatus.HIDDEN:
        signature.status = SignatureStatus.VERIFIED
    rows.apply_changes(signature, changed)
    audit.record(None, "signer", "signature.corrected_by_signer", "signature", signature.id,
                 before={name: old for name, (old, _) in changed.items()},
                 after={name: new for name, (_, new) in changed.items()})
    db.session.commit()
    return True


def set_named(token: str, named: bool) -> None:
    """Switch an individual between named on the list and counted only; takes effect at once."""
    signature = _signature_to_change(token)
    if signature.kind is SignatureKind.ORGANISATION:
        raise SelfServiceError("An organisation's signature is always named.")
    if signature.consent_publish == named:
        return
    published = signature.status is SignatureStatus.PUBLISHED
    if published:
        counts.count_unpublished(signature)
    signature.consent_publish = named
    if published:
        counts.count_published(signature)
    audit.record(None, "signer", "signature.naming_changed_by_signer", "signature", signature.id,
                 before={"consent_publish": not named}, after={"consent_publish": named})
    db.session.commit()


def set_updates(token: str, wanted: bool) -> None:
    """Ask for the campaign news, or stop it, from the signer's own page: in the audit trail, as a
    one-click unsubscribe is, so that who sent news to whom can always be told."""
    signature = _signature_to_change(token)
    if signature.consent_updates != wanted:
        signature.consent_updates = wanted
        audit.record(None, "signer", "signature.news_changed_by_signer", "signature", signature.id,
                     before={"consent_updates": not wanted}, after={"consent_updates": wanted})
        db.session.commit()


def withdraw(token: str) -> None:
    rules.withdraw(token, TokenPurpose.MANAGE)


def letter_of(signature: Signature) -> Letter | None:
    return db.session.scalar(select(Letter).where(Letter.id == signature.letter_id))
