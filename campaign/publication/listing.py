"""The public list of a letter's signatories: pages, search, and the rows of its open data.

The list is paged by keyset, so its last page costs what its first does. Only public fields ever
leave this module: an organisation's contact person, addresses and comments never do.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, select, tuple_

from ..extensions import db
from ..models import Letter, Signature, SignatureKind, SignatureStatus
from ..text import search_key
from ..web.parameters import is_record_id, is_safe_text

PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 1200
MAX_INITIALS = 60
SORTS = ("name", "date")


def search_text_for(kind: SignatureKind, name: str | None, organisation: str | None) -> str:
    """What public search matches: an organisation's name; an individual's name and affiliation.

    Never an organisation's contact person, so a search cannot tie a person to an organisation.
    """
    if kind is SignatureKind.ORGANISATION:
        return search_key(organisation)
    return search_key(name, organisation)


@dataclass(frozen=True)
class PublicEntry:
    """One line of the public list: public fields only."""

    kind: str
    name: str | None  # individuals only
    organisation: str | None  # an organisation's name, or an individual's affiliation
    role: str | None  # individuals only
    country: str
    website: str | None  # organisations only
    drafter: bool
    published_on: dt.date | None
    #: An organisation that confirmed from an address on its website's domain (``signing.domains``).
    verified: bool = False
    #: Names the entry in the signed snapshots (``snapshots``): a journalist asks for its proof by it.
    public_id: str = ""

    @classmethod
    def of(cls, signature: Signature) -> PublicEntry:
        name, organisation, role, website = public_fields(signature.kind, signature.name, signature.organisation,
                                                          signature.role, signature.website)
        return cls(
            kind=signature.kind.value, name=name, organisation=organisation, role=role, country=signature.country,
            website=website, drafter=signature.is_drafter,
            published_on=signature.published_at.date() if signature.published_at else None,
            verified=signature.domain_verified, public_id=signature.public_id,
        )

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "name": self.name, "organisation": self.organisation, "role": self.role,
            "country": self.country, "website": self.website, "drafter": self.drafter,
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "verified": self.verified, "public_id": self.public_id,
        }


def public_fields(kind: SignatureKind, name: str | None, organisation: str | None, role: str | None,
                  website: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """What the public sees of a signer, as ``(name, organisation, role, website)``: an organisation's
    name and website, never its contact person or their title; an individual's name, title and
    affiliation, never a website. The one rule for the list, the API and the open data."""
    if kind is SignatureKind.ORGANISATION:
        return None, organisation, None, website
    return name, organisation, role, None


@dataclass(frozen=True)
class ListQuery:
    kind: SignatureKind
    country: str | None = None
    text: str | None = None
    sort: str = "name"
    cursor: str | None = None
    backwards: bool = False
    start: str | None = None  # by name: from the first entry at or after this (folded) text
    verified: bool = False  # only organisations verified by their own domain

    @property
    def filtered(self) -> bool:
        return bool(self.country or self.verified or (self.text and search_key(self.text)))


@dataclass
class ListPage:
    entries: list[PublicEntry]
    next_cursor: str | None
    previous_cursor: str | None


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: str) -> tuple[str | dt.datetime, int] | None:
    """The (sort value, id) a cursor points after; ``None`` for anything malformed.

    Cursors come back from readers, so they are decoded as hostile input: an id outside what
    the table can hold, a value of the wrong type or with a character no person types (NUL,
    which PostgreSQL refuses; a lone surrogate, which no encoder takes), or a date that is not one
    all mean "no position", never an error."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        value, identifier = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not is_record_id(identifier) or not isinstance(value, str) or not is_safe_text(value):
            return None
        if sort != "date":
            return value, identifier
        moment = dt.datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)), identifier
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None


def _sort_value(signature: Signature, sort: str) -> str:
    if sort != "date":
        return signature.search_text
    if signature.published_at is None:  # set whenever a signature is published
        raise ValueError(f"published signature {signature.id} has no publication time")
    return signature.published_at.isoformat()


def public_query(letter_id: int, query: ListQuery, *, include_drafters: bool = True) -> Select[Signature]:
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
    if query.verified:
        statement = statement.where(Signature.domain_verified.is_(True))
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


def initials(letter_id: int, kind: SignatureKind) -> list[str]:
    """The first characters the published names of ``kind`` begin with, in order, as the unfiltered
    section lists them (drafters apart): a loose index scan (one indexed look-up per initial,
    however long the list), never a count or an OFFSET."""
    found: list[str] = []
    after = ""
    base = public_query(letter_id, ListQuery(kind=kind), include_drafters=False).with_only_columns(Signature.search_text)
    while len(found) < MAX_INITIALS:
        statement = base.where(Signature.search_text >= after, Signature.search_text != "")
        text = db.session.scalar(statement.order_by(Signature.search_text).limit(1))
        if text is None:
            break
        initial = text[0]
        found.append(initial)
        after = chr(ord(initial) + 1)
    return found


def latest_organisations(letter_id: int, limit: int = 30) -> list[PublicEntry]:
    """The organisations published last, newest first (the letter page shows them)."""
    rows = db.session.scalars(
        select(Signature).where(
            Signature.letter_id == letter_id, Signature.status == SignatureStatus.PUBLISHED,
            Signature.kind == SignatureKind.ORGANISATION,
        ).order_by(Signature.published_at.desc(), Signature.id.desc()).limit(limit)
    )
    return [PublicEntry.of(row) for row in rows]


def list_page(letter_id: int, query: ListQuery, limit: int = PAGE_SIZE, *, drafters_apart: bool = False) -> ListPage:
    """One page in display order: by name A→Z, or by date newest first; forwards or back.
    ``drafters_apart`` leaves the drafting organisations out of an unfiltered list (the page shows
    them in a section of their own)."""
    column = Signature.search_text if query.sort == "name" else Signature.published_at
    ascending = (query.sort == "name") != query.backwards
    statement = public_query(letter_id, query, include_drafters=query.filtered or not drafters_apart)
    position = decode_cursor(query.cursor, query.sort)
    if position is None and query.start and query.sort == "name" and not query.backwards:
        position = (query.start, 0)
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
        next_cursor=encode_cursor([_sort_value(last, query.sort), last.id]) if last and has_next else None,
        previous_cursor=encode_cursor([_sort_value(first, query.sort), first.id]) if first and has_previous else None,
    )


def public_rows(letter_id: int, query: ListQuery, *, drafters: bool | None = None) -> Iterator[tuple]:
    """Every entry of one kind matching the query, streamed in name order, for the open-data CSV:
    ``(kind, name, organisation, role, country, website, drafter, published_on, verified, public_id)``, public fields only
    (the fields of ``PublicEntry``, in its order). ``drafters``: only the drafting organisations
    (``True``), all but them (``False``), or all (``None``).

    Plain tuples from the public columns, through a server-side cursor on PostgreSQL: a million
    rows are read in seconds and in constant memory."""
    columns = (Signature.name, Signature.organisation, Signature.role, Signature.country, Signature.website,
               Signature.is_drafter, Signature.published_at, Signature.domain_verified, Signature.public_id)
    entries = public_query(letter_id, query, include_drafters=drafters is not False)
    if drafters:
        entries = entries.where(Signature.is_drafter.is_(True))
    statement = entries.with_only_columns(*columns).order_by(Signature.search_text, Signature.id)
    rows = db.session.execute(statement.execution_options(yield_per=2000, stream_results=True))
    kind = query.kind.value
    for name, affiliation, role, country, website, drafter, published_at, verified, public_id in rows:
        name, affiliation, role, website = public_fields(query.kind, name, affiliation, role, website)
        yield (kind, name, affiliation, role, country, website, drafter,
               published_at.date() if published_at else None, verified, public_id)


def list_version(letter_id: int) -> str:
    """Changes whenever anything on the letter's public list changes: a cheap validator for ETags."""
    changed = db.session.scalar(select(Letter.list_changed_at).where(Letter.id == letter_id))
    return changed.isoformat() if changed else ""
