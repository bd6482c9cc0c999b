"""What the public sees of the signatures: counts, the list, its history and its open data.

Counts come from tallies maintained when publication changes (approve, hide, restore, withdraw,
edits); no page ever counts the signature table. The list is paged by keyset, so its last page
costs what its first does. Only public fields ever leave this module: an organisation's contact
person, addresses and comments never do.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import case, delete, func, select, tuple_, update

from ..extensions import db, upsert
from ..web.parameters import is_record_id
from ..models import Letter, PublishedDay, PublishedTally, Signature, SignatureKind, SignatureStatus, utcnow
from ..text import search_key

ORGANISATIONS = "organisation"
NAMED_INDIVIDUALS = "individual"
UNNAMED_INDIVIDUALS = "individual_unnamed"
PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 1200
SORTS = ("name", "date")


def tally_kind(signature: Signature) -> str:
    if signature.kind is SignatureKind.ORGANISATION:
        return ORGANISATIONS
    return NAMED_INDIVIDUALS if signature.consent_publish else UNNAMED_INDIVIDUALS


def search_text_for(kind: SignatureKind, name: str | None, organisation: str | None) -> str:
    """What public search matches: an organisation's name; an individual's name and affiliation.

    Never an organisation's contact person, so a search cannot tie a person to an organisation.
    """
    if kind is SignatureKind.ORGANISATION:
        return search_key(organisation)
    return search_key(name, organisation)


def _upsert(model, keys: dict, delta: int, extra: dict | None = None) -> None:
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


# --- the list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEntry:
    """One line of the public list: public fields only."""

    kind: str
    name: str | None  # individuals only
    organisation: str | None  # an organisation's name, or an individual's affiliation
    country: str
    website: str | None
    drafter: bool
    published_on: dt.date | None

    @classmethod
    def of(cls, signature: Signature) -> PublicEntry:
        organisation = signature.kind is SignatureKind.ORGANISATION
        return cls(
            kind=signature.kind.value,
            name=None if organisation else signature.name,
            organisation=signature.organisation,
            country=signature.country,
            website=signature.website if organisation else None,
            drafter=signature.is_drafter,
            published_on=signature.published_at.date() if signature.published_at else None,
        )

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "name": self.name, "organisation": self.organisation, "country": self.country,
            "website": self.website, "drafter": self.drafter,
            "published_on": self.published_on.isoformat() if self.published_on else None,
        }


@dataclass(frozen=True)
class ListQuery:
    kind: SignatureKind
    country: str | None = None
    text: str | None = None
    sort: str = "name"
    cursor: str | None = None
    backwards: bool = False

    @property
    def filtered(self) -> bool:
        return bool(self.country or (self.text and search_key(self.text)))


@dataclass
class ListPage:
    entries: list[PublicEntry]
    next_cursor: str | None
    previous_cursor: str | None


def _encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, sort: str):
    """The (sort value, id) a cursor points after; ``None`` for anything malformed.

    Cursors come back from readers, so they are decoded as hostile input: an id outside what
    the table can hold, a value of the wrong type or with a NUL byte (which PostgreSQL refuses),
    or a date that is not one all mean "no position", never an error."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        value, identifier = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not is_record_id(identifier) or not isinstance(value, str) or "\x00" in value:
            return None
        if sort != "date":
            return value, identifier
        moment = dt.datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)), identifier
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None


def _sort_value(signature: Signature, sort: str) -> str:
    return signature.published_at.isoformat() if sort == "date" else signature.search_text


def public_query(letter_id: int, query: ListQuery, *, include_drafters: bool = True):
    statement = select(Signature).where(
        Signature.letter_id == letter_id,
        Signature.status == SignatureStatus.PUBLISHED,
        Signature.kind == query.kind,
    )
    if query.kind is SignatureKind.INDIVIDUAL:
        statement = statement.where(Signature.consent_publish.is_(True))
    elif not include_drafters:
        statement = statement.where(Signature.is_drafter.is_(False))
    if query.country:
        statement = statement.where(Signature.country == query.country)
    if query.text and search_key(query.text):
        statement = statement.where(Signature.search_text.contains(search_key(query.text), autoescape=True))
    return statement


def drafting_organisations(letter_id: int) -> list[PublicEntry]:
    rows = db.session.scalars(
        select(Signature).where(
            Signature.letter_id == letter_id, Signature.status == SignatureStatus.PUBLISHED,
            Signature.kind == SignatureKind.ORGANISATION, Signature.is_drafter.is_(True),
        ).order_by(Signature.search_text, Signature.id)
    )
    return [PublicEntry.of(row) for row in rows]


def list_page(letter_id: int, query: ListQuery, limit: int = PAGE_SIZE) -> ListPage:
    """One page in display order: by name A→Z, or by date newest first; forwards or back."""
    column = Signature.search_text if query.sort == "name" else Signature.published_at
    ascending = (query.sort == "name") != query.backwards
    statement = public_query(letter_id, query, include_drafters=query.filtered)
    position = _decode_cursor(query.cursor, query.sort)
    if position is not None:
        key = tuple_(column, Signature.id)
        statement = statement.where(key > position if ascending else key < position)
    order = (column.asc(), Signature.id.asc()) if ascending else (column.desc(), Signature.id.desc())
    rows = list(db.session.scalars(statement.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if query.backwards:
        rows.reverse()
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    has_next = more if not query.backwards else position is not None
    has_previous = (position is not None) if not query.backwards else more
    return ListPage(
        entries=[PublicEntry.of(row) for row in rows],
        next_cursor=_encode_cursor([_sort_value(last, query.sort), last.id]) if last and has_next else None,
        previous_cursor=_encode_cursor([_sort_value(first, query.sort), first.id]) if first and has_previous else None,
    )


def public_rows(letter_id: int, query: ListQuery) -> Iterator[tuple]:
    """Every entry of one kind matching the query, streamed in name order, for the open-data CSV:
    ``(kind, name, organisation, country, website, drafter, published_on)``, public fields only.

    Plain tuples from the public columns, through a server-side cursor on PostgreSQL: a million
    rows are read in seconds and in constant memory."""
    organisation = query.kind is SignatureKind.ORGANISATION
    columns = (Signature.name, Signature.organisation, Signature.country, Signature.website, Signature.is_drafter,
               Signature.published_at)
    statement = public_query(letter_id, query).with_only_columns(*columns).order_by(Signature.search_text, Signature.id)
    rows = db.session.execute(statement.execution_options(yield_per=2000, stream_results=True))
    kind = query.kind.value
    for name, affiliation, country, website, drafter, published_at in rows:
        yield (kind, None if organisation else name, affiliation, country, website if organisation else None, drafter,
               published_at.date() if published_at else None)


def list_version(letter_id: int) -> str:
    """Changes whenever anything on the letter's public list changes: a cheap validator for ETags."""
    changed = db.session.scalar(select(Letter.list_changed_at).where(Letter.id == letter_id))
    return changed.isoformat() if changed else ""
