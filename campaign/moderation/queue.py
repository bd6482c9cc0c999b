"""The review queue: what awaits a moderator, filtered and paged."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from ..extensions import db
from ..models import Letter, Signature, SignatureKind, SignatureStatus
from ..text import search_key
from .flags import flags_for


@dataclass(frozen=True)
class QueueFilter:
    status: SignatureStatus | None = SignatureStatus.VERIFIED
    kind: SignatureKind | None = None
    country: str | None = None
    language: str | None = None
    text: str | None = None
    letter_id: int | None = None
    domain_verified: bool = False  # only organisations that confirmed from their website's domain


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


def filtered(filters: QueueFilter) -> Select[Signature]:
    """The signatures matching the filters, in id order (oldest first): also used by exports."""
    query = select(Signature)
    if filters.status is SignatureStatus.VERIFIED:
        query = query.where(awaiting_review())
    elif filters.status is not None:
        query = query.where(Signature.status == filters.status)
    if filters.kind is not None:
        query = query.where(Signature.kind == filters.kind)
    if filters.country:
        query = query.where(Signature.country == filters.country.upper())
    if filters.language:
        query = query.where(Signature.language == filters.language)
    if filters.domain_verified:
        query = query.where(Signature.domain_verified.is_(True))
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


def _awaiting_review_parts() -> tuple[ColumnElement[bool], ...]:
    """What waits for a moderator, in two parts that never overlap: confirmed signatures, and
    corrections of published ones (which stay on the list as they were until approved)."""
    return (Signature.status == SignatureStatus.VERIFIED,
            and_(Signature.correction_at.is_not(None), Signature.status == SignatureStatus.PUBLISHED))


def awaiting_review() -> ColumnElement[bool]:
    return or_(*_awaiting_review_parts())


def waiting_count(letter_id: int | None = None) -> int:
    """Entries waiting for a moderator, of one letter or of all. Each part is counted on its own,
    through its index (``(letter_id, status)``, ``correction_at``), rather than visiting every row
    an ``OR`` matches."""
    total = 0
    for part in _awaiting_review_parts():
        query = select(func.count()).select_from(Signature).where(part)
        if letter_id is not None:
            query = query.where(Signature.letter_id == letter_id)
        total += db.session.execute(query).scalar_one()
    return total
