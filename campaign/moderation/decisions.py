"""The review queue and the decisions on it: approve, reject, edit, hide, restore, drafting organisation.

Every decision is one transaction with its audit entry and, when publication changes, the
published tallies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from . import audit
from ..publication import listing as publication
from ..extensions import db
from .flags import flags_for
from ..models import AdminUser, Letter, Signature, SignatureKind, SignatureStatus, utcnow
from ..text import search_key

EDITABLE_FIELDS = ("name", "organisation", "role", "country", "city", "website")


class ModerationError(Exception):
    """A decision that does not apply to the signature in its current state."""


@dataclass(frozen=True)
class QueueFilter:
    status: SignatureStatus | None = SignatureStatus.VERIFIED
    kind: SignatureKind | None = None
    country: str | None = None
    language: str | None = None
    text: str | None = None
    letter_id: int | None = None


@dataclass
class QueueEntry:
    signature: Signature
    letter_slug: str
    flags: list[str] = field(default_factory=list)


@dataclass
class QueuePage:
    entries: list[QueueEntry]
    next_after: int | None  # id to pass as ``after`` for the next page
    previous_before: int | None  # id to pass as ``before`` for the previous page


def filtered(filters: QueueFilter):
    """The signatures matching the filters, in id order (oldest first): also used by exports."""
    query = select(Signature)
    if filters.status is not None:
        query = query.where(Signature.status == filters.status)
    if filters.kind is not None:
        query = query.where(Signature.kind == filters.kind)
    if filters.country:
        query = query.where(Signature.country == filters.country.upper())
    if filters.language:
        query = query.where(Signature.language == filters.language)
    if filters.letter_id is not None:
        query = query.where(Signature.letter_id == filters.letter_id)
    if filters.text and search_key(filters.text):
        query = query.where(or_(
            Signature.search_text.contains(search_key(filters.text), autoescape=True),
            Signature.email_domain.contains(filters.text.strip().lower(), autoescape=True),
        ))
    return query


def queue_page(filters: QueueFilter, limit: int, after: int | None = None, before: int | None = None) -> QueuePage:
    """One page of the queue by keyset on id: the last page costs what the first does."""
    query = filtered(filters)
    if before is not None:
        rows = list(db.session.scalars(query.where(Signature.id < before).order_by(Signature.id.desc()).limit(limit + 1)))
        has_more_before = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        has_more_after = True
    else:
        if after is not None:
            query = query.where(Signature.id > after)
        rows = list(db.session.scalars(query.order_by(Signature.id).limit(limit + 1)))
        has_more_after = len(rows) > limit
        rows = rows[:limit]
        has_more_before = after is not None
    slugs = dict(db.session.execute(select(Letter.id, Letter.slug)).all())
    entries = [QueueEntry(row, slugs.get(row.letter_id, "")) for row in rows]
    for entry, found in zip(entries, flags_for([entry.signature for entry in entries])):
        entry.flags = found
    return QueuePage(
        entries=entries,
        next_after=rows[-1].id if rows and has_more_after else None,
        previous_before=rows[0].id if rows and has_more_before else None,
    )


def waiting_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Signature).where(Signature.status == SignatureStatus.VERIFIED))


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
    if signature.status not in (SignatureStatus.VERIFIED, SignatureStatus.REJECTED):
        return False
    before = signature.status.value
    _decide(signature, moderator, SignatureStatus.PUBLISHED)
    signature.published_at = signature.published_at or utcnow()
    signature.rejection_reason = None
    publication.count_published(signature)
    audit.record(moderator, moderator.email, "signature.approved", "signature", signature.id,
                 before={"status": before}, after={"status": "published"})
    return True


def _reject(signature: Signature, moderator: AdminUser, reason: str) -> bool:
    if signature.status is not SignatureStatus.VERIFIED:
        return False
    _decide(signature, moderator, SignatureStatus.REJECTED)
    signature.rejection_reason = reason
    audit.record(moderator, moderator.email, "signature.rejected", "signature", signature.id,
                 before={"status": "verified"}, after={"status": "rejected"}, note=reason)
    return True


def _decide_many(ids: Iterable[int], decide) -> int:
    signatures = db.session.scalars(select(Signature).where(Signature.id.in_(list(ids))).with_for_update()).all()
    changed = sum(1 for signature in signatures if decide(signature))
    db.session.commit()
    return changed


def approve(ids: Iterable[int], moderator: AdminUser) -> int:
    """Publish the given verified (or previously rejected) signatures; returns how many changed."""
    return _decide_many(ids, lambda signature: _approve(signature, moderator))


def reject(ids: Iterable[int], moderator: AdminUser, reason: str) -> int:
    if not reason.strip():
        raise ModerationError("A reason is required to reject.")
    return _decide_many(ids, lambda signature: _reject(signature, moderator, reason.strip()))


def _move_publication(signature_id: int, moderator: AdminUser, source: SignatureStatus, target: SignatureStatus,
                      action: str, note: str | None = None) -> None:
    signature = get(signature_id)
    if signature.status is not source:
        raise ModerationError(f"Only a {source.value} signature can become {target.value}.")
    _decide(signature, moderator, target)
    if target is SignatureStatus.PUBLISHED:
        publication.count_published(signature)
    else:
        publication.count_unpublished(signature)
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
    changed = {
        name: (getattr(signature, name), value)
        for name, value in changes.items()
        if name in EDITABLE_FIELDS and getattr(signature, name) != value
    }
    if not changed:
        return {}
    published = signature.status is SignatureStatus.PUBLISHED
    if published and "country" in changed:
        publication.count_unpublished(signature)
    for name, (_, value) in changed.items():
        setattr(signature, name, value)
    signature.search_text = publication.search_text_for(signature.kind, signature.name, signature.organisation)
    if published and "country" in changed:
        publication.count_published(signature)
    elif published:
        publication.touch(signature.letter_id)
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
    publication.touch(signature.letter_id)
    db.session.commit()
