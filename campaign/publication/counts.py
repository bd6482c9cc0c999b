"""The published counts of a letter: tallies maintained when publication changes, never counted.

Every change of what is published (approve, hide, restore, withdraw, edits) adjusts the tallies
(per kind and country) and the day's count in the same transaction, with upserts, so two moderators
publishing at once never collide. No page ever counts the signature table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, delete, func, select, update

from ..extensions import db, upsert
from ..lifecycle import goals
from ..models import Letter, PublishedDay, PublishedTally, Signature, SignatureKind, SignatureStatus, utcnow

ORGANISATIONS = "organisation"
NAMED_INDIVIDUALS = "individual"
UNNAMED_INDIVIDUALS = "individual_unnamed"


def tally_kind(signature: Signature) -> str:
    if signature.kind is SignatureKind.ORGANISATION:
        return ORGANISATIONS
    return NAMED_INDIVIDUALS if signature.consent_publish else UNNAMED_INDIVIDUALS


def _upsert(model: type[PublishedTally] | type[PublishedDay], keys: dict[str, object], delta: int,
            extra: dict[str, object] | None = None) -> None:
    statement = upsert(model).values(**keys, count=delta, **(extra or {}))
    statement = statement.on_conflict_do_update(
        index_elements=[getattr(model, key) for key in keys],
        set_={"count": model.count + delta, **(extra or {})},
    )
    db.session.execute(statement)


def touch(letter_id: int) -> None:
    """Mark a letter's public list as changed (its caches and ETags turn over)."""
    db.session.execute(update(Letter).where(Letter.id == letter_id).values(list_changed_at=utcnow()))


def _adjust(signature: Signature, delta: int) -> None:
    """Upserts, so two moderators publishing at once never collide on a missing row."""
    now = utcnow()
    _upsert(PublishedTally, {"letter_id": signature.letter_id, "kind": tally_kind(signature),
                             "country": signature.country}, delta, {"updated_at": now})
    _upsert(PublishedDay, {"letter_id": signature.letter_id, "day": now.date()}, delta)
    touch(signature.letter_id)
    if delta > 0:
        goals.note_progress(signature.letter_id, lambda: published_count(signature.letter_id))


def count_published(signature: Signature) -> None:
    _adjust(signature, 1)


def count_unpublished(signature: Signature) -> None:
    _adjust(signature, -1)


def rebuild_counts(letter_id: int) -> None:
    """Recompute a letter's tallies and daily history from the table (after a bulk load or a repair).

    Normal operation never needs this: publication changes keep the figures up to date.
    """
    db.session.execute(delete(PublishedTally).where(PublishedTally.letter_id == letter_id))
    db.session.execute(delete(PublishedDay).where(PublishedDay.letter_id == letter_id))
    published = (Signature.letter_id == letter_id, Signature.status == SignatureStatus.PUBLISHED)
    tally_kind_sql = case(
        (Signature.kind == SignatureKind.ORGANISATION, ORGANISATIONS),
        (Signature.consent_publish.is_(True), NAMED_INDIVIDUALS),
        else_=UNNAMED_INDIVIDUALS,
    )
    tallies = db.session.execute(
        select(tally_kind_sql, Signature.country, func.count()).where(*published).group_by(tally_kind_sql, Signature.country)
    ).all()
    now = utcnow()
    for kind, country, count in tallies:
        db.session.add(PublishedTally(letter_id=letter_id, kind=kind, country=country, count=count, updated_at=now))
    days: dict[dt.date, int] = {}
    for (published_at,) in db.session.execute(select(Signature.published_at).where(*published)).yield_per(10_000):
        if published_at is None:  # set whenever a signature is published
            raise ValueError(f"a published signature of letter {letter_id} has no publication time")
        day = published_at.date()
        days[day] = days.get(day, 0) + 1
    for day, count in days.items():
        db.session.add(PublishedDay(letter_id=letter_id, day=day, count=count))
    touch(letter_id)


@dataclass
class Counts:
    organisations: int = 0
    named_individuals: int = 0
    unnamed_individuals: int = 0
    by_country: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Named individuals per country: what the list's individuals section shows, filtered by country.
    named_by_country: dict[str, int] = field(default_factory=dict)

    @property
    def individuals(self) -> int:
        return self.named_individuals + self.unnamed_individuals

    @property
    def total(self) -> int:
        return self.organisations + self.individuals

    def top_countries(self, limit: int = 10) -> list[tuple[str, int]]:
        totals = [(country, sum(kinds.values())) for country, kinds in self.by_country.items()]
        totals = [(country, total) for country, total in totals if total > 0]
        return sorted(totals, key=lambda item: (-item[1], item[0]))[:limit]


def counts(letter_id: int) -> Counts:
    result = Counts()
    rows = db.session.execute(
        select(PublishedTally.kind, PublishedTally.country, PublishedTally.count).where(
            PublishedTally.letter_id == letter_id
        )
    )
    for kind, country, count in rows:
        if kind == ORGANISATIONS:
            result.organisations += count
        elif kind == NAMED_INDIVIDUALS:
            result.named_individuals += count
            result.named_by_country[country] = result.named_by_country.get(country, 0) + count
        else:
            result.unnamed_individuals += count
        group = result.by_country.setdefault(country, {"organisations": 0, "individuals": 0})
        group["organisations" if kind == ORGANISATIONS else "individuals"] += count
    return result


def published_count(letter_id: int) -> int:
    """Published signatures of a letter, from the maintained tallies (never a table count)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(PublishedTally.count), 0)).where(PublishedTally.letter_id == letter_id)
    )
    return int(total or 0)


@dataclass(frozen=True)
class HistoryDay:
    day: dt.date
    published: int
    cumulative: int


def history(letter_id: int) -> list[HistoryDay]:
    rows = db.session.execute(
        select(PublishedDay.day, PublishedDay.count).where(PublishedDay.letter_id == letter_id).order_by(PublishedDay.day)
    )
    days, running = [], 0
    for day, count in rows:
        running += count
        days.append(HistoryDay(day, count, running))
    return days


