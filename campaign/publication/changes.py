"""What is new on a letter's public list: the organisations published, and how many individuals,
after a starting point. The change feed (Atom) and the API's list of changes read it.

A starting point is a ``Position``, a publication time and an id: the API's ``since`` (a time), its
opaque cursor (where the previous page ended), and, later, a snapshot of the list each give one,
and ``changes_after`` reads on from there. Pages partition time: a page holds the organisations
published after its start up to its end, and counts the individuals published in the same span, so
the counts of consecutive pages add up to the individuals published since the start.

What is listed is what the list shows now, by when it was first published: an entry taken off the
list (withdrawn, hidden) is no longer there, and one restored keeps its first publication time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Tuple, func, or_, select, tuple_

from ..extensions import db
from ..models import Signature, SignatureKind, SignatureStatus
from . import listing

#: The Atom feed covers the days with publications in this many days up to the latest publication.
FEED_DAYS = 30
#: At most this many organisations in the feed (the newest): a feed reader needs no more at once.
FEED_ORGANISATIONS = 500


@dataclass(frozen=True)
class Position:
    """A point in the list's publication order: after ``(at, id)``."""

    at: dt.datetime
    id: int

    @classmethod
    def since(cls, moment: dt.datetime) -> Position:
        """Everything published at or after ``moment``."""
        return cls(moment, 0)

    def cursor(self) -> str:
        return listing.encode_cursor([self.at.isoformat(), self.id])

    @classmethod
    def from_cursor(cls, cursor: str | None) -> Position | None:
        """The position an opaque cursor names; ``None`` for anything malformed (see ``listing``)."""
        found = listing.decode_cursor(cursor, "date")
        return cls(found[0], found[1]) if found is not None and isinstance(found[0], dt.datetime) else None


@dataclass(frozen=True)
class OrganisationChange:
    entry: listing.PublicEntry
    published_at: dt.datetime


@dataclass(frozen=True)
class ChangesPage:
    organisations: list[OrganisationChange]
    individuals: int  # published after the page's start, up to its end
    end: Position | None  # where the next page starts; ``None``: this page reaches the present


def _published(letter_id: int, kind: SignatureKind) -> tuple[ColumnElement[bool], ...]:
    return (Signature.letter_id == letter_id, Signature.status == SignatureStatus.PUBLISHED,
            Signature.kind == kind, Signature.published_at.is_not(None))


def _key() -> Tuple:
    return tuple_(Signature.published_at, Signature.id)


def _change(row: Signature) -> OrganisationChange:
    if row.published_at is None:  # ``_published`` reads only rows with a publication time
        raise ValueError(f"published signature {row.id} has no publication time")
    return OrganisationChange(listing.PublicEntry.of(row), row.published_at)


def changes_after(letter_id: int, start: Position | None, limit: int) -> ChangesPage:
    """Up to ``limit`` organisations published after ``start`` (from the first publication when
    ``None``), oldest first, and the individuals published in the same span."""
    organisations = select(Signature).where(*_published(letter_id, SignatureKind.ORGANISATION))
    individuals = select(func.count()).select_from(Signature).where(*_published(letter_id, SignatureKind.INDIVIDUAL))
    if start is not None:
        organisations = organisations.where(_key() > (start.at, start.id))
        individuals = individuals.where(_key() > (start.at, start.id))
    rows = list(db.session.scalars(organisations.order_by(Signature.published_at, Signature.id).limit(limit + 1)))
    found = [_change(row) for row in rows[:limit]]
    end = None
    if len(rows) > limit:
        end = Position(found[-1].published_at, rows[limit - 1].id)
        individuals = individuals.where(_key() <= (end.at, end.id))
    return ChangesPage(found, db.session.execute(individuals).scalar_one(), end)


@dataclass(frozen=True)
class Day:
    """One day (UTC) of the change feed: the organisations published that day and how many
    individuals; ``first`` is its first publication time and ``last`` when its entry last changed:
    its last publication, or later, an organisation of that day corrected or anyone of that day
    taken off the list (so that feed readers fetch the entry again)."""

    day: dt.date
    organisations: list[OrganisationChange]
    individuals: int
    first: dt.datetime
    last: dt.datetime


def _changed_since_publication(letter_id: int, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    """When an entry first published in ``[start, end)`` last changed in a way its day's feed entry
    shows: an organisation's row (corrected, taken off) or any entry taken off the list. An
    individual still on the list counts only by its publication: their own later activity is
    nobody's business."""
    return db.session.scalar(select(func.max(Signature.updated_at)).where(
        Signature.letter_id == letter_id, Signature.published_at >= start, Signature.published_at < end,
        or_(Signature.kind == SignatureKind.ORGANISATION, Signature.status != SignatureStatus.PUBLISHED)))


def feed_updated(letter_id: int, days: list[Day]) -> dt.datetime | None:
    """When the feed last changed: its newest day's change, or an entry published since its oldest
    day taken off the list, even one whose day no longer has anything to show."""
    if not days:
        return None
    start = dt.datetime.combine(days[-1].day, dt.time(), dt.timezone.utc)
    taken_off = db.session.scalar(select(func.max(Signature.updated_at)).where(
        Signature.letter_id == letter_id, Signature.published_at >= start,
        Signature.status != SignatureStatus.PUBLISHED))
    return max(moment for moment in [*(day.last for day in days), taken_off] if moment is not None)


def recent_days(letter_id: int) -> list[Day]:
    """The days with publications among the ``FEED_DAYS`` up to the latest, newest first: one
    read of the organisations and one count of the individuals per day."""
    latest = db.session.scalar(select(func.max(Signature.published_at)).where(
        Signature.letter_id == letter_id, Signature.status == SignatureStatus.PUBLISHED))
    if latest is None:
        return []
    first_day = latest.astimezone(dt.timezone.utc).date() - dt.timedelta(days=FEED_DAYS - 1)
    window_start = dt.datetime.combine(first_day, dt.time(), dt.timezone.utc)
    found = [_change(row) for row in db.session.scalars(
        select(Signature).where(*_published(letter_id, SignatureKind.ORGANISATION),
                                Signature.published_at >= window_start)
        .order_by(Signature.published_at.desc(), Signature.id.desc()).limit(FEED_ORGANISATIONS))]
    days = []
    for offset in range(FEED_DAYS):
        day = first_day + dt.timedelta(days=offset)
        start = dt.datetime.combine(day, dt.time(), dt.timezone.utc)
        end = start + dt.timedelta(days=1)
        first, last, individuals = db.session.execute(
            select(func.min(Signature.published_at), func.max(Signature.published_at), func.count())
            .where(*_published(letter_id, SignatureKind.INDIVIDUAL), Signature.published_at >= start,
                   Signature.published_at < end)).one()
        organisations = [change for change in reversed(found) if start <= change.published_at < end]
        times = [change.published_at for change in organisations]
        times += [moment for moment in (first, last) if moment is not None]
        if not times:
            continue
        changed = _changed_since_publication(letter_id, start, end)
        days.append(Day(day, organisations, individuals, min(times), max([*times, changed] if changed else times)))
    return list(reversed(days))
