"""What a signer can do from the link in their emails: see, take, correct, switch, withdraw."""

from __future__ import annotations

from sqlalchemy import select

from ..moderation import audit
from ..publication import listing as publication
from . import rules as signing
from ..extensions import db
from ..models import Letter, Signature, SignatureKind, SignatureStatus, TokenPurpose

EDITABLE = ("name", "organisation", "role", "country", "city", "website")


class SelfServiceError(Exception):
    """A change that does not apply to this signature (e.g. an organisation cannot be unnamed)."""


def signature_for(token: str) -> Signature:
    """The signature behind a manage link; raises ``signing.TokenInvalid`` or ``signing.TokenExpired``."""
    return signing.find_token(token, TokenPurpose.MANAGE).signature


def personal_data(signature: Signature) -> dict:
    """Everything stored about the signer, as stored (the address only as the server holds it)."""
    letter = db.session.get(Letter, signature.letter_id)
    return {
        "letter": letter.slug if letter else None,
        "letter_version": signature.letter_version,
        "language": signature.language,
        "kind": signature.kind.value,
        "status": signature.status.value,
        "name": signature.name,
        "organisation": signature.organisation,
        "role": signature.role,
        "country": signature.country,
        "city": signature.city,
        "website": signature.website,
        "comment": signature.comment,
        "consent_publish": signature.consent_publish,
        "consent_updates": signature.consent_updates,
        "drafting_organisation": signature.is_drafter,
        "email_domain": signature.email_domain,
        "email_hash": signature.email_hash,
        "email_encrypted_bytes": len(signature.email_sealed or b""),
        "client_network_hash": signature.client_network_hash,
        "source": signature.source,
        "created_at": signature.created_at.isoformat(),
        "verified_at": signature.verified_at.isoformat() if signature.verified_at else None,
        "published_at": signature.published_at.isoformat() if signature.published_at else None,
        "rejection_reason": signature.rejection_reason,
    }


def update_details(token: str, changes: dict[str, str | None]) -> bool:
    """Correct the details; a published signature goes back to moderation to be reviewed again."""
    signature = signature_for(token)
    changed = {name: (getattr(signature, name), value) for name, value in changes.items()
               if name in EDITABLE and getattr(signature, name) != value}
    if signature.kind is SignatureKind.INDIVIDUAL:
        changed.pop("website", None)
    if not changed:
        return False
    if signature.status is SignatureStatus.PUBLISHED:
        publication.count_unpublished(signature)
        signature.status = SignatureStatus.VERIFIED
    elif signature.status is SignatureStatus.HIDDEN:
        signature.status = SignatureStatus.VERIFIED
    for name, (_, value) in changed.items():
        setattr(signature, name, value)
    signature.search_text = publication.search_text_for(signature.kind, signature.name, signature.organisation)
    audit.record(None, "signer", "signature.corrected_by_signer", "signature", signature.id,
                 before={name: old for name, (old, _) in changed.items()},
                 after={name: new for name, (_, new) in changed.items()})
    db.session.commit()
    return True


def set_named(token: str, named: bool) -> None:
    """Switch an individual between named on the list and counted only; takes effect at once."""
    signature = signature_for(token)
    if signature.kind is SignatureKind.ORGANISATION:
        raise SelfServiceError("An organisation's signature is always named.")
    if signature.consent_publish == named:
        return
    published = signature.status is SignatureStatus.PUBLISHED
    if published:
        publication.count_unpublished(signature)
    signature.consent_publish = named
    if published:
        publication.count_published(signature)
    audit.record(None, "signer", "signature.naming_changed_by_signer", "signature", signature.id,
                 before={"consent_publish": not named}, after={"consent_publish": named})
    db.session.commit()


def set_updates(token: str, wanted: bool) -> None:
    signature = signature_for(token)
    if signature.consent_updates != wanted:
        signature.consent_updates = wanted
        db.session.commit()


def withdraw(token: str) -> None:
    signing.withdraw(token, TokenPurpose.MANAGE)


def letter_of(signature: Signature) -> Letter | None:
    return db.session.scalar(select(Letter).where(Letter.id == signature.letter_id))
