"""Decisions on signatures: approve, reject, edit, hide, restore, drafting organisation.

Every decision is one transaction with its audit entry and, when publication changes, the
published tallies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import AdminUser, Signature, SignatureKind, SignatureStatus, utcnow
from ..publication import counts
from ..signing import notices, rows
from ..signing.fields import corrections
from . import audit, flags


class ModerationError(Exception):
    """A decision that does not apply to the signature in its current state."""


def get(signature_id: int) -> Signature:
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.status is SignatureStatus.PENDING:
        raise ModerationError("not found")
    return signature


def _decide(signature: Signature, moderator: AdminUser, status: SignatureStatus) -> None:
    signature.status = status
    signature.decided_at = utcnow()
    signature.decided_by_id = moderator.id


def _approve(signature: Signature, moderator: AdminUser) -> bool:
    if signature.status is SignatureStatus.PUBLISHED and signature.correction_at is not None:
        return _settle_correction(signature, moderator, approved=True)
    if signature.status not in (SignatureStatus.VERIFIED, SignatureStatus.REJECTED):
        return False
    before = signature.status.value
    _decide(signature, moderator, SignatureStatus.PUBLISHED)
    signature.published_at = signature.published_at or utcnow()
    signature.rejection_reason = None
    counts.count_published(signature)
    audit.record(moderator, moderator.email, "signature.approved", "signature", signature.id,
                 before={"status": before}, after={"status": "published"})
    notices.tell_published(signature)
    return True


def publish_by_rule(signature: Signature) -> bool:
    """Publish a just-confirmed signature at once when ``FLASK_AUTO_PUBLISH`` covers it (confirmed
    individuals, or every confirmed entry) and it carries no warning; recorded in the audit trail as
    decided by the rule. Anything else waits for a person. In the caller's transaction."""
    rule = current_app.config["AUTO_PUBLISH"]
    if rule == "none" or signature.status is not SignatureStatus.VERIFIED:
        return False
    if rule == "individuals" and signature.kind is not SignatureKind.INDIVIDUAL:
        return False
    if flags.flags_for([signature])[0]:
        return False
    signature.status = SignatureStatus.PUBLISHED
    signature.decided_at = signature.published_at = utcnow()
    signature.decided_by_id = None
    counts.count_published(signature)
    audit.record(None, f"rule:{rule}", "signature.approved", "signature", signature.id,
                 before={"status": "verified"}, after={"status": "published"}, note=f"FLASK_AUTO_PUBLISH={rule}")
    notices.tell_published(signature)
    return True


def _reject(signature: Signature, moderator: AdminUser, reason: str, tell: bool) -> bool:
    if signature.status is SignatureStatus.PUBLISHED and signature.correction_at is not None:
        return _settle_correction(signature, moderator, approved=False, reason=reason)
    if signature.status is not SignatureStatus.VERIFIED:
        return False
    _decide(signature, moderator, SignatureStatus.REJECTED)
    signature.rejection_reason = reason
    told = notices.tell_rejected(signature, reason, tell)
    audit.record(moderator, moderator.email, "signature.rejected", "signature", signature.id,
                 before={"status": "verified"}, after={"status": "rejected", "signer_told": told}, note=reason)
    return True


def _settle_correction(signature: Signature, moderator: AdminUser, approved: bool, reason: str | None = None) -> bool:
    """A signer's correction of a published entry: applied (the list shows it from now on) or
    set aside (the list keeps what it showed). The entry stays published either way."""
    proposed = dict(signature.correction or {})
    changed = {name: (getattr(signature, name), value) for name, value in proposed.items()
               if getattr(signature, name) != value} if approved else {}
    if changed:
        rows.apply_changes(signature, changed)
    signature.correction, signature.correction_at = None, None
    audit.record(moderator, moderator.email,
                 "signature.correction_approved" if approved else "signature.correction_rejected",
                 "signature", signature.id, before={name: old for name, (old, _) in changed.items()} or None,
                 after=proposed, note=reason)
    return True


def _decide_many(ids: Iterable[int], decide: Callable[[Signature], bool]) -> int:
    signatures = db.session.scalars(select(Signature).where(Signature.id.in_(list(ids))).with_for_update()).all()
    changed = sum(1 for signature in signatures if decide(signature))
    db.session.commit()
    return changed


def approve(ids: Iterable[int], moderator: AdminUser) -> int:
    """Publish the given verified (or previously rejected) signatures; returns how many changed."""
    return _decide_many(ids, lambda signature: _approve(signature, moderator))


def reject(ids: Iterable[int], moderator: AdminUser, reason: str, tell: bool = False) -> int:
    """Reject the given confirmed signatures (or set aside their signers' corrections); ``tell``
    sends each signer the reason, when the settings allow it."""
    if not reason.strip():
        raise ModerationError("A reason is required to reject.")
    return _decide_many(ids, lambda signature: _reject(signature, moderator, reason.strip(), tell))


def _move_publication(signature_id: int, moderator: AdminUser, source: SignatureStatus, target: SignatureStatus,
                      action: str, note: str | None = None) -> None:
    signature = get(signature_id)
    if signature.status is not source:
        raise ModerationError(f"Only a {source.value} signature can become {target.value}.")
    _decide(signature, moderator, target)
    if target is SignatureStatus.PUBLISHED:
        counts.count_published(signature)
    else:
        counts.count_unpublished(signature)
    audit.record(moderator, moderator.email, action, "signature", signature.id,
                 before={"status": source.value}, after={"status": target.value}, note=note)
    db.session.commit()


def hide(signature_id: int, moderator: AdminUser, reason: str) -> None:
    """Take a published signature off the public list (and its counts)."""
    _move_publication(signature_id, moderator, SignatureStatus.PUBLISHED, SignatureStatus.HIDDEN,
                      "signature.hidden", reason or None)


def restore(signature_id: int, moderator: AdminUser) -> None:
    _move_publication(signature_id, moderator, SignatureStatus.HIDDEN, SignatureStatus.PUBLISHED,
                      "signature.restored")


def edit(signature_id: int, moderator: AdminUser, changes: dict[str, str | None]) -> dict[str, tuple]:
    """Correct published fields (a typo in a name); the previous values stay in the audit trail."""
    signature = get(signature_id)
    changed = corrections(signature, changes)
    if not changed:
        return {}
    rows.apply_changes(signature, changed)
    audit.record(moderator, moderator.email, "signature.edited", "signature", signature.id,
                 before={name: old for name, (old, _) in changed.items()},
                 after={name: new for name, (_, new) in changed.items()})
    db.session.commit()
    return changed


def set_drafter(signature_id: int, moderator: AdminUser, is_drafter: bool) -> None:
    signature = get(signature_id)
    if signature.kind is not SignatureKind.ORGANISATION:
        raise ModerationError("Only organisations can be drafting organisations.")
    if signature.is_drafter == is_drafter:
        return
    audit.record(moderator, moderator.email, "signature.drafter_changed", "signature", signature.id,
                 before={"is_drafter": signature.is_drafter}, after={"is_drafter": is_drafter})
    signature.is_drafter = is_drafter
    counts.touch(signature.letter_id)
    db.session.commit()
